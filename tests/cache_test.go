package tests

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestBlockCacheBound runs the block cache's stress guest (manyblocks:
// 600,000 distinct blocks, twice, about five times what the default
// 64 MiB budget holds) with --stats: its output is the native one, blocks
// were evicted, the cache never held more than its budget, and minemu's
// peak RSS stays far below the 200+ MB an unbounded cache takes (the
// budget plus 100 MiB for everything else: the guest's 5 MB, the Go
// runtime, garbage between collections). A smaller --block-cache-mib is
// honoured the same way.
func TestBlockCacheBound(t *testing.T) {
	const defaultBudget = 64 << 20
	cases := map[string]guestCase{}
	for _, c := range readCases(t) {
		cases[c.name] = c
	}
	for _, tc := range []struct {
		name   string
		c      guestCase
		flags  []string
		budget uint64
		golden bool // compare with the case's golden output; else check "wrong 0" lines
	}{
		{name: "manyblocks-i386", c: cases["manyblocks-i386"], budget: defaultBudget, golden: true},
		{name: "manyblocks-x86_64", c: cases["manyblocks-x86_64"], budget: defaultBudget, golden: true},
		{name: "manyblocks-i386-4mib", c: guestCase{bin: "manyblocks-i386", args: []string{"100000", "2"}},
			flags: []string{"--block-cache-mib", "4"}, budget: 4 << 20},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.c.bin == "" {
				t.Fatalf("cases.txt lacks %s", tc.name)
			}
			statsFile := filepath.Join(t.TempDir(), "stats.json")
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			cmd := command(ctx, "minemu", tc.c.bin, tc.c.args, append([]string{"--stats", statsFile}, tc.flags...)...)
			cmd.Env = guestEnv(t)
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err := cmd.Run()
			var ee *exec.ExitError
			if err != nil && !errors.As(err, &ee) {
				t.Fatal(err)
			}
			status := cmd.ProcessState.ExitCode()
			if tc.golden {
				want, wantStatus := golden(t, tc.name)
				if status != wantStatus || !bytes.Equal(stdout.Bytes(), want) {
					t.Fatalf("status %d, stdout:\n%s\nwant status %d, stdout:\n%s\nstderr:\n%s", status, stdout.Bytes(), wantStatus, want, stderr.Bytes())
				}
			} else if lines := strings.Split(strings.TrimSpace(stdout.String()), "\n"); status != 0 || len(lines) != 2 ||
				!strings.HasSuffix(lines[0], ", wrong 0") || !strings.HasSuffix(lines[1], ", wrong 0") {
				t.Fatalf("status %d, stdout:\n%s\nwant two passes with nothing wrong\nstderr:\n%s", status, stdout.Bytes(), stderr.Bytes())
			}
			raw, err := os.ReadFile(statsFile)
			if err != nil {
				t.Fatal(err)
			}
			var st struct {
				Guest struct {
					BlocksDecoded uint64 `json:"blocks_decoded"`
					BlocksEvicted uint64 `json:"blocks_evicted"`
					PeakBytes     uint64 `json:"block_cache_peak_bytes"`
					Budget        uint64 `json:"block_cache_budget"`
				} `json:"guest"`
			}
			if err := json.Unmarshal(raw, &st); err != nil {
				t.Fatal(err)
			}
			g := st.Guest
			if g.Budget != tc.budget || g.PeakBytes == 0 || g.PeakBytes > g.Budget {
				t.Fatalf("block cache peak %d bytes, budget %d: want a peak within the budget %d", g.PeakBytes, g.Budget, tc.budget)
			}
			if g.BlocksEvicted == 0 || g.BlocksEvicted < g.BlocksDecoded/2 {
				t.Fatalf("%d of %d decoded blocks evicted: want most of them", g.BlocksEvicted, g.BlocksDecoded)
			}
			rss := uint64(cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss) << 10 // Linux: KiB
			if limit := tc.budget + 100<<20; rss > limit {
				t.Fatalf("peak RSS %d MiB, want below %d MiB (budget plus 100 MiB)", rss>>20, limit>>20)
			}
			t.Logf("%d blocks decoded, %d evicted, cache peak %.1f MiB of %d MiB, peak RSS %.1f MiB",
				g.BlocksDecoded, g.BlocksEvicted, float64(g.PeakBytes)/(1<<20), g.Budget>>20, float64(rss)/(1<<20))
		})
	}
}
