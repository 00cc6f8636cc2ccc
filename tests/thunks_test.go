// Thunk integration tests: the programs of tests/guests that call host
// functions through the stubs of tests/guests/include/minemu.h (built by
// tests/guests/thunks.mk from src/thunk.c, src/thunklibc.c and
// src/thunkbench.c; the checks are in src/thunkcheck.h).
//
// Their golden outputs cannot come from a native run: a stub is the bytes
// 0F 3F, which a real CPU refuses (SIGILL). So the programs check
// themselves — each check prints "NAME: ok" or "NAME: FAIL", the last lines
// are a tally of the frees, rejections and callbacks minemu must have
// counted and "PASS", and the exit status is 0 only if every check passed —
// and golden/thunk-*.txt (stdout) and golden/thunk-*.exit (status) record
// the expected result. They are written under minemu by
//
//	go test ./tests -run TestThunkPrograms -args -thunk-update
//
// (only from runs that exited 0 and whose counters matched) and reviewed
// like any source change.
//
// TestThunkPrograms runs every program with --stats and checks, exactly
// and per program: stdout and status against the golden files; the
// counters of the thunks object (frees_host, frees_guest, frees_rejected,
// frees_null, callbacks, callback_depth_max, the calls of every host
// function) against the table below and against the program's own tally;
// that nothing is left adopted or live on the host heap; that for i386
// guests the 4 GiB audit passes (every host-heap pointer handed to the
// guest was below 4 GiB and nothing of minemu's own lies there); and, with
// --log-level debug, that the log has one decision line per cross-boundary
// free and one error line, with pointer, reason and guest RIP, per
// rejection.
package tests

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

var thunkUpdate = flag.Bool("thunk-update", false, "rewrite golden/thunk-*.{txt,exit} from passing minemu runs")

// thunkCounters are the counters of --stats' thunks object that a program
// determines exactly.
type thunkCounters struct {
	FreesHost        uint64 `json:"frees_host"`
	FreesGuest       uint64 `json:"frees_guest"`
	FreesRejected    uint64 `json:"frees_rejected"`
	FreesNull        uint64 `json:"frees_null"`
	Callbacks        uint64 `json:"callbacks"`
	CallbackDepthMax uint64 `json:"callback_depth_max"`
}

// thunkStatsFile is the part of the --stats JSON these tests read.
type thunkStatsFile struct {
	Exit struct {
		Status int `json:"status"`
	} `json:"exit"`
	Thunks struct {
		Calls map[string]uint64 `json:"calls"`
		thunkCounters
		AdoptedLive       *int    `json:"adopted_live"`
		HostHeapLiveBytes *uint64 `json:"host_heap_live_bytes"`
	} `json:"thunks"`
	MM struct {
		Audit struct {
			OK         bool     `json:"ok"`
			Violations []string `json:"violations"`
		} `json:"audit"`
		Host struct {
			Corruptions       *uint64 `json:"corruptions"`
			QuarantinedBlocks *uint64 `json:"quarantined_blocks"`
		} `json:"host"`
	} `json:"mm"`
}

// thunkCase is one run of a thunk program.
type thunkCase struct {
	name string // golden files are golden/NAME.{txt,exit}
	bin  string
	args []string
	arch string // "i386" or "x86_64"
	want thunkCounters
	// calls are the exact calls of each host function; a function not
	// listed must have none.
	calls map[string]uint64
	// tally: the program prints a "tally:" line to compare with --stats.
	tally bool
	// debugHostFrees is the number of host-heap frees that went through
	// the cross-boundary free (free_any, release_adopted) and so have a
	// debug decision line; the rest were minemu_free and realloc(p, 0).
	debugHostFrees uint64
	// hostCorruptions is the host heap's count of blocks found corrupted
	// (mm.heaps.host.corruptions): 0 but for the hostile programs.
	hostCorruptions uint64
	// status is the exit status the run must end with: 0 but for the
	// cases where minemu ends the guest (golden/NAME.exit records it).
	status int
	// quietStderr: at the default log level the guest's stderr gets
	// nothing from minemu (the program writes none itself).
	quietStderr bool
	// libs: run under the minemu built with the example libraries
	// (thunklibs_test.go).
	libs bool
	// callsFromTally names functions whose call count the program's
	// tally line gives (function → tally key): counts that depend on the
	// size of what Go's compressor makes.
	callsFromTally map[string]string
	// tallyKeys are the --stats counters a library program's tally gives
	// (tally key → counter), compared exactly.
	tallyKeys []string
}

// thunkCheckCounters is what every variant of src/thunkcheck.h makes
// minemu count (the same calls in every variant): the numbers are those of
// its tally, derived section by section in the source.
var thunkCheckCounters = thunkCounters{
	FreesHost: 19, FreesGuest: 9, FreesRejected: 18, FreesNull: 1, Callbacks: 10, CallbackDepthMax: 3,
}

var thunkCheckCalls = map[string]uint64{
	"minemu:adopt":                   5,
	"minemu:calloc":                  2,
	"minemu:format":                  2,
	"minemu:free":                    4,
	"minemu:free_any":                39,
	"minemu:guest_strdup":            1,
	"minemu:is_host_heap_allocation": 57,
	"minemu:malloc":                  3,
	"minemu:memdup":                  1,
	"minemu:realloc":                 4,
	"minemu:register_guest_heap":     4,
	"minemu:release_adopted":         2,
	"minemu:split":                   2,
	"minemu:strdup":                  6,
	"minemu:strndup":                 1,
}

// thunkBenchTestN is the loop count of the benchmark programs in the
// tests (the benchmarks use more).
const thunkBenchTestN = 1000

func thunkCases() []thunkCase {
	var cs []thunkCase
	for _, p := range []struct{ bin, arch string }{
		{"thunk-i386", "i386"}, {"thunk-x86_64", "x86_64"},
		{"thunk-glibc-i386", "i386"}, {"thunk-glibc-x86_64", "x86_64"},
		{"thunk-musl-x86_64", "x86_64"},
	} {
		cs = append(cs, thunkCase{
			name: p.bin, bin: p.bin, arch: p.arch, want: thunkCheckCounters, calls: thunkCheckCalls,
			tally: true, debugHostFrees: 16, quietStderr: true,
		})
	}
	cs = append(cs, thunkHolesCases()...)
	cs = append(cs, thunkLibraryCases()...)
	for _, arch := range []string{"i386", "x86_64"} {
		// thunkcorrupt overwrites a chunk header and frees the chunk:
		// refused (-EINVAL, frees_rejected), block quarantined; 64
		// allocations freed, a strdup and a realloc freed, the refused
		// chunk freed from the quarantined block, then freed once more
		// (rejected: the block is gone).
		cs = append(cs, thunkCase{
			name: "thunkcorrupt-" + arch, bin: "thunkcorrupt-" + arch, arch: arch,
			want: thunkCounters{FreesHost: 67, FreesRejected: 2},
			calls: map[string]uint64{
				"minemu:malloc": 66, "minemu:free": 69, "minemu:strdup": 1, "minemu:realloc": 1,
			},
			hostCorruptions: 1,
		})
		n := uint64(thunkBenchTestN)
		cs = append(cs,
			thunkCase{
				name: "thunkbench-call-" + arch, bin: "thunkbench-" + arch, arch: arch,
				args:  []string{"call", strconv.Itoa(thunkBenchTestN)},
				calls: map[string]uint64{"minemu:is_host_heap_allocation": n},
			},
			thunkCase{
				name: "thunkbench-callback-" + arch, bin: "thunkbench-" + arch, arch: arch,
				args: []string{"callback", strconv.Itoa(thunkBenchTestN)},
				want: thunkCounters{FreesGuest: n, Callbacks: n, CallbackDepthMax: 1},
				calls: map[string]uint64{
					"minemu:register_guest_heap": 1,
					"minemu:free_any":            n,
				},
			})
	}
	return cs
}

// callbacksRunnable is how many nested callbacks run before minemu ends
// the guest: the thunk layer's bound (thunks.DefaultMaxCallbackDepth) and
// engine.Thread.CallGuest's both allow exactly 64 callbacks in progress.
const callbacksRunnable = 64

// thunkHolesCases are the regression runs of src/thunkholes.c (issue 13).
func thunkHolesCases() []thunkCase {
	var cs []thunkCase
	for _, p := range []struct{ variant, arch string }{
		{"glibc-i386", "i386"}, {"glibc-x86_64", "x86_64"}, {"musl-x86_64", "x86_64"},
	} {
		bin := "thunkholes-" + p.variant
		// all: adoption (2 adopted, 5 refusals of the host block and 2
		// of the guest one, both released), the string bound (every
		// function refuses 1 MiB + 1 bytes, takes exactly 1 MiB), 500 bad
		// frees, and the trampoline page (a guest free called back, then
		// free_any of two addresses in the trap page rejected and adopt of
		// a third refused); the numbers are the program's tally.
		cs = append(cs, thunkCase{
			name: bin + "-all", bin: bin, arch: p.arch, args: []string{"all"},
			want: thunkCounters{FreesHost: 7, FreesGuest: 3, FreesRejected: 509, FreesNull: 1, Callbacks: 4, CallbackDepthMax: 1},
			calls: map[string]uint64{
				"minemu:adopt": 3, "minemu:format": 3, "minemu:free": 103, "minemu:free_any": 412,
				"minemu:guest_strdup": 2, "minemu:is_host_heap_allocation": 6, "minemu:malloc": 3,
				"minemu:realloc": 3, "minemu:register_guest_heap": 1, "minemu:release_adopted": 2,
				"minemu:split": 1, "minemu:strdup": 4, "minemu:strndup": 3,
			},
			tally: true, debugHostFrees: 6, quietStderr: true,
		})
		// nest N: N callbacks nested. Within the bound every one runs
		// and is counted; past it minemu ends the guest (SIGILL) and the
		// counters count the callbacks that ran (before the fix: one
		// more, the refused one).
		for _, n := range []int{63, 64, 65} {
			c := thunkCase{
				name: fmt.Sprintf("%s-nest%d", bin, n), bin: bin, arch: p.arch, args: []string{"nest", strconv.Itoa(n)},
				calls: map[string]uint64{"minemu:register_guest_heap": 1},
			}
			ran := uint64(min(n, callbacksRunnable))
			c.want = thunkCounters{Callbacks: ran, CallbackDepthMax: ran}
			if n <= callbacksRunnable {
				c.want.FreesGuest = uint64(n)
				c.calls["minemu:free_any"] = uint64(n)
				c.quietStderr = true
			} else {
				c.status = 128 + 4 // SIGILL: the refused callback is a fatal thunk error
			}
			cs = append(cs, c)
		}
	}
	return cs
}

// thunkResult is one run under minemu.
type thunkResult struct {
	stdout, stderr []byte
	status         int
	stats          thunkStatsFile
	rawStats       []byte
}

// thunkRun runs c under minemu with --stats and the extra flags.
func thunkRun(t testing.TB, c thunkCase, extra ...string) thunkResult {
	t.Helper()
	statsPath := filepath.Join(t.TempDir(), "stats.json")
	run := "minemu"
	if c.libs {
		run = "minemu-libs"
	}
	g := runGuest(t, run, guestCase{name: c.name, bin: c.bin, args: c.args}, append([]string{"--stats", statsPath}, extra...)...)
	r := thunkResult{stdout: g.stdout, stderr: g.stderr, status: g.status}
	raw, err := os.ReadFile(statsPath)
	if err != nil {
		t.Fatalf("%s: no --stats file: %v\nstderr:\n%s", c.name, err, r.stderr)
	}
	r.rawStats = raw
	if err := json.Unmarshal(raw, &r.stats); err != nil {
		t.Fatalf("%s: --stats is not JSON: %v", c.name, err)
	}
	if r.stats.Thunks.AdoptedLive == nil || r.stats.Thunks.HostHeapLiveBytes == nil || r.stats.Thunks.Calls == nil {
		t.Fatalf("%s: --stats lacks thunks.adopted_live, host_heap_live_bytes or calls:\n%s", c.name, raw)
	}
	return r
}

// thunkGolden reads golden/NAME.txt and golden/NAME.exit.
func thunkGolden(t testing.TB, name string) ([]byte, int) {
	t.Helper()
	return readGolden(t, name+".txt", name+".exit")
}

// thunkTally parses the program's "tally: k=v ..." line.
func thunkTally(out []byte) (map[string]uint64, error) {
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		line, ok := strings.CutPrefix(sc.Text(), "tally: ")
		if !ok {
			continue
		}
		m := map[string]uint64{}
		for _, f := range strings.Fields(line) {
			k, v, ok := strings.Cut(f, "=")
			n, err := strconv.ParseUint(v, 10, 64)
			if !ok || err != nil {
				return nil, fmt.Errorf("bad tally field %q", f)
			}
			m[k] = n
		}
		return m, nil
	}
	return nil, errors.New("no tally line")
}

// checkThunkStats compares the counters of a run with the case's table
// (and, for callsFromTally, the program's tally line in out) and returns
// the differences.
func checkThunkStats(c thunkCase, st thunkStatsFile, out []byte) []string {
	var errs []string
	if got := st.Thunks.thunkCounters; got != c.want {
		errs = append(errs, fmt.Sprintf("counters %+v, want %+v", got, c.want))
	}
	var tally map[string]uint64
	if len(c.callsFromTally) > 0 {
		var err error
		if tally, err = thunkTally(out); err != nil {
			errs = append(errs, err.Error())
		}
	}
	for fn, n := range st.Thunks.Calls {
		want := c.calls[fn]
		if key, ok := c.callsFromTally[fn]; ok {
			want = tally[key]
		}
		if n != want {
			errs = append(errs, fmt.Sprintf("calls of %s: got %d, want %d", fn, n, want))
		}
	}
	for fn := range c.callsFromTally {
		if _, ok := st.Thunks.Calls[fn]; !ok {
			errs = append(errs, fmt.Sprintf("calls: no entry for %s", fn))
		}
	}
	for fn := range c.calls {
		if _, ok := st.Thunks.Calls[fn]; !ok {
			errs = append(errs, fmt.Sprintf("calls: no entry for %s", fn))
		}
	}
	if n := *st.Thunks.AdoptedLive; n != 0 {
		errs = append(errs, fmt.Sprintf("adopted_live %d at exit, want 0", n))
	}
	if n := *st.Thunks.HostHeapLiveBytes; n != 0 {
		errs = append(errs, fmt.Sprintf("host_heap_live_bytes %d at exit, want 0", n))
	}
	if h := st.MM.Host; h.Corruptions == nil || h.QuarantinedBlocks == nil {
		errs = append(errs, "--stats lacks mm.host.corruptions or quarantined_blocks")
	} else {
		if *h.Corruptions != c.hostCorruptions {
			errs = append(errs, fmt.Sprintf("host heap corruptions %d, want %d", *h.Corruptions, c.hostCorruptions))
		}
		if *h.QuarantinedBlocks != 0 {
			errs = append(errs, fmt.Sprintf("%d quarantined host-heap blocks at exit, want 0", *h.QuarantinedBlocks))
		}
	}
	if c.arch == "i386" && (!st.MM.Audit.OK || len(st.MM.Audit.Violations) != 0) {
		errs = append(errs, fmt.Sprintf("4 GiB audit failed: %q", st.MM.Audit.Violations))
	}
	return errs
}

// checkLibTally compares the counters a library program's tally names
// with --stats.
func checkLibTally(c thunkCase, out []byte, st thunkStatsFile) []string {
	tally, err := thunkTally(out)
	if err != nil {
		return []string{err.Error()}
	}
	got := map[string]uint64{"callbacks": st.Thunks.Callbacks, "callback_depth_max": st.Thunks.CallbackDepthMax}
	var errs []string
	for _, k := range c.tallyKeys {
		if want, ok := tally[k]; !ok {
			errs = append(errs, "tally lacks "+k)
		} else if want != got[k] {
			errs = append(errs, fmt.Sprintf("%s: the program counted %d, minemu %d", k, want, got[k]))
		}
	}
	return errs
}

// checkThunkTally compares the program's own tally with --stats.
func checkThunkTally(out []byte, st thunkStatsFile) []string {
	tally, err := thunkTally(out)
	if err != nil {
		return []string{err.Error()}
	}
	got := st.Thunks
	pairs := []struct {
		key  string
		stat uint64
	}{
		{"frees_host", got.FreesHost}, {"frees_guest", got.FreesGuest}, {"frees_rejected", got.FreesRejected},
		{"frees_null", got.FreesNull}, {"callbacks", got.Callbacks}, {"callback_depth_max", got.CallbackDepthMax},
		{"free_any", got.Calls["minemu:free_any"]},
	}
	var errs []string
	for _, p := range pairs {
		want, ok := tally[p.key]
		if !ok {
			errs = append(errs, "tally lacks "+p.key)
		} else if want != p.stat {
			errs = append(errs, fmt.Sprintf("%s: the program counted %d, minemu %d", p.key, want, p.stat))
		}
	}
	return errs
}

// thunkLogCounts counts the cross-boundary free lines of a JSON debug log:
// decisions per heap, and rejections (each must carry ptr, reason and
// guest_rip).
func thunkLogCounts(stderr []byte) (freed map[string]uint64, rejected uint64, err error) {
	freed = map[string]uint64{}
	sc := bufio.NewScanner(bytes.NewReader(stderr))
	sc.Buffer(make([]byte, 1<<16), 1<<20)
	for sc.Scan() {
		line := sc.Bytes()
		if !bytes.HasPrefix(line, []byte("{")) {
			continue
		}
		var e map[string]any
		if err := json.Unmarshal(line, &e); err != nil {
			return nil, 0, fmt.Errorf("log line %q: %v", line, err)
		}
		switch e["message"] {
		case "cross-boundary free":
			if e["decision"] != "freed" || e["ptr"] == nil {
				return nil, 0, fmt.Errorf("decision line without ptr or decision: %s", line)
			}
			h, _ := e["heap"].(string)
			freed[h]++
		case "cross-boundary free rejected":
			for _, k := range []string{"ptr", "reason", "guest_rip", "function"} {
				if s, _ := e[k].(string); s == "" {
					return nil, 0, fmt.Errorf("rejection without %s: %s", k, line)
				}
			}
			if e["level"] != "info" {
				return nil, 0, fmt.Errorf("rejection not at info level: %s", line)
			}
			if rip, _ := e["guest_rip"].(string); rip == "0x0" {
				return nil, 0, fmt.Errorf("rejection with no caller: %s", line)
			}
			rejected++
		}
	}
	return freed, rejected, sc.Err()
}

func TestThunkPrograms(t *testing.T) {
	for _, c := range thunkCases() {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			r := thunkRun(t, c)
			errs := checkThunkStats(c, r.stats, r.stdout)
			if c.tally {
				errs = append(errs, checkThunkTally(r.stdout, r.stats)...)
			}
			if len(c.tallyKeys) > 0 {
				errs = append(errs, checkLibTally(c, r.stdout, r.stats)...)
			}
			if r.stats.Exit.Status != r.status {
				errs = append(errs, fmt.Sprintf("--stats exit.status %d, process status %d", r.stats.Exit.Status, r.status))
			}
			if c.quietStderr && len(r.stderr) != 0 {
				errs = append(errs, fmt.Sprintf("minemu wrote to the guest's stderr at the default log level:\n%s", r.stderr))
			}
			if *thunkUpdate {
				if r.status != c.status || len(errs) != 0 {
					t.Fatalf("not updating golden files of a failing run (status %d): %s\nstdout:\n%s\nstderr:\n%s",
						r.status, strings.Join(errs, "; "), r.stdout, r.stderr)
				}
				dir := filepath.Join(guestDir, "golden")
				if err := os.WriteFile(filepath.Join(dir, c.name+".txt"), r.stdout, 0o644); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(dir, c.name+".exit"), []byte(strconv.Itoa(c.status)+"\n"), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			wantOut, wantStatus := thunkGolden(t, c.name)
			if r.status != wantStatus {
				t.Errorf("exit status %d, want %d\nstdout:\n%s\nstderr:\n%s", r.status, wantStatus, r.stdout, r.stderr)
			}
			if !bytes.Equal(r.stdout, wantOut) {
				t.Errorf("stdout differs from golden/%s.txt:\n%s", c.name, firstDiff(r.stdout, wantOut))
			}
			for _, e := range errs {
				t.Error(e)
			}
		})
	}
}

// TestThunkProgramsDebugLog runs the check programs with --log-level debug:
// one decision line per free through the cross-boundary free, one error
// line per rejection, and the same counters as without the log.
func TestThunkProgramsDebugLog(t *testing.T) {
	for _, c := range thunkCases() {
		if !c.tally {
			continue
		}
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			r := thunkRun(t, c, "--log-level", "debug", "--log-format", "json")
			if r.status != 0 {
				t.Fatalf("exit status %d\nstdout:\n%s", r.status, r.stdout)
			}
			for _, e := range checkThunkStats(c, r.stats, r.stdout) {
				t.Error(e)
			}
			freed, rejected, err := thunkLogCounts(r.stderr)
			if err != nil {
				t.Fatal(err)
			}
			if rejected != c.want.FreesRejected {
				t.Errorf("%d rejection lines, want %d (frees_rejected)", rejected, c.want.FreesRejected)
			}
			if freed["guest"] != c.want.FreesGuest || freed["host"] != c.debugHostFrees || freed["null"] != c.want.FreesNull {
				t.Errorf("decision lines per heap %v, want guest %d host %d null %d",
					freed, c.want.FreesGuest, c.debugHostFrees, c.want.FreesNull)
			}
		})
	}
}

// TestThunkGoldenFiles checks the table: every case has golden files, an
// exit status of 0 and (for the check programs) no failed check.
func TestThunkGoldenFiles(t *testing.T) {
	names := map[string]bool{}
	for _, c := range thunkCases() {
		if names[c.name] {
			t.Fatalf("duplicate thunk case %s", c.name)
		}
		names[c.name] = true
		if _, err := os.Stat(filepath.Join(guestDir, "bin", c.bin)); err != nil {
			t.Fatalf("case %s: %v", c.name, err)
		}
		out, status := thunkGolden(t, c.name)
		if status != c.status {
			t.Errorf("golden status of %s is %d, want %d: the programs exit 0 only when every check passed", c.name, status, c.status)
		}
		if bytes.Contains(out, []byte("FAIL")) {
			t.Errorf("golden/%s.txt records a failed check", c.name)
		}
		if c.tally || len(c.tallyKeys) > 0 {
			if !bytes.HasSuffix(out, []byte("\nPASS\n")) {
				t.Errorf("golden/%s.txt does not end with PASS", c.name)
			}
			if _, err := thunkTally(out); err != nil {
				t.Errorf("golden/%s.txt: %v", c.name, err)
			}
		}
	}
}

// benchThunkLoop runs thunkbench LOOP n under minemu once per iteration
// and reports the wall time per loop iteration, less the time of the same
// run with no iterations (process start, loading, exit), measured first.
func benchThunkLoop(b *testing.B, arch, loop string, n int, metric string) {
	run := func(iters int) time.Duration {
		c := thunkCase{name: "thunkbench-" + loop + "-" + arch, bin: "thunkbench-" + arch, arch: arch,
			args: []string{loop, strconv.Itoa(iters)}}
		start := time.Now()
		r := thunkRun(b, c)
		el := time.Since(start)
		if r.status != 0 || !bytes.Contains(r.stdout, []byte(" ok\n")) {
			b.Fatalf("%s %d: status %d stdout %q stderr %q", loop, iters, r.status, r.stdout, r.stderr)
		}
		fn := "minemu:is_host_heap_allocation"
		if loop == "callback" {
			fn = "minemu:free_any"
			if r.stats.Thunks.Callbacks != uint64(iters) {
				b.Fatalf("%d callbacks, want %d", r.stats.Thunks.Callbacks, iters)
			}
		}
		if got := r.stats.Thunks.Calls[fn]; got != uint64(iters) {
			b.Fatalf("%d calls of %s, want %d", got, fn, iters)
		}
		return el
	}
	var base time.Duration
	const baseRuns = 3
	for range baseRuns {
		base += run(0)
	}
	base /= baseRuns
	b.ResetTimer()
	var total time.Duration
	for range b.N {
		total += run(n)
	}
	per := float64(total-time.Duration(b.N)*base) / float64(b.N) / float64(n)
	b.ReportMetric(per, metric)
	b.ReportMetric(float64(base)/1e6, "ms-startup")
}

// BenchmarkThunkGuestLoop measures, from a real guest program under
// minemu run, one thunk round trip (a call of the trivial host function
// is_host_heap_allocation) and one round trip with a callback (free_any of
// a guest pointer, which calls the guest's free back), per mode:
//
//	go test ./tests -run XXX -bench ThunkGuestLoop -benchtime 3x
func BenchmarkThunkGuestLoop(b *testing.B) {
	for _, arch := range []string{"i386", "x86_64"} {
		b.Run("call-"+arch, func(b *testing.B) { benchThunkLoop(b, arch, "call", 1_000_000, "ns/call") })
		b.Run("callback-"+arch, func(b *testing.B) { benchThunkLoop(b, arch, "callback", 200_000, "ns/callback") })
	}
}
