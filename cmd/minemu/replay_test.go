package main

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeTrace writes a small ALLOCTR1 trace (the benchmark's self-check
// trace) and returns its path.
func writeTrace(t *testing.T) string {
	t.Helper()
	type rec struct{ op, id, size uint32 }
	recs := []rec{{0, 0, 24}, {0, 1, 4096}, {0, 2, 100000}, {2, 0, 48}, {2, 1, 10}, {1, 2, 0},
		{0, 2, 128}, {2, 2, 70000}, {1, 0, 0}, {1, 1, 0}, {1, 2, 0}}
	b := make([]byte, 64+8*len(recs))
	copy(b, "ALLOCTR1")
	binary.LittleEndian.PutUint64(b[8:], uint64(len(recs)))
	binary.LittleEndian.PutUint32(b[16:], 3)
	copy(b[48:], "selfcheck")
	for i, r := range recs {
		binary.LittleEndian.PutUint32(b[64+8*i:], r.op<<30|r.id)
		binary.LittleEndian.PutUint32(b[68+8*i:], r.size)
	}
	path := filepath.Join(t.TempDir(), "selfcheck.trace")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestMMReplay(t *testing.T) {
	path := writeTrace(t)
	for _, tc := range []struct {
		args                    []string
		heap, mode, touch, lock string // what the output must say was run
	}{
		{[]string{path}, "primary", "32", "ends", "per-op"},
		{[]string{"--heap", "host", "--mode", "32", path}, "host", "32", "ends", "per-op"},
		{[]string{"--heap", "primary", "--mode", "64", "--pages", path}, "primary", "64", "pages", "per-op"},
		{[]string{"--heap", "host", "--mode", "64", path}, "host", "64", "ends", "per-op"},
		{[]string{"--hold-lock", path}, "primary", "32", "ends", "held"},
	} {
		args := tc.args
		var out, errb bytes.Buffer
		if code := mmReplay(args, &out, &errb); code != 0 {
			t.Fatalf("%v: exit %d, stderr %s", args, code, errb.String())
		}
		var res map[string]any
		if err := json.Unmarshal(out.Bytes(), &res); err != nil {
			t.Fatalf("%v: output %q: %v", args, out.String(), err)
		}
		for _, k := range []string{"ops", "ns_per_op", "peak_live_bytes", "peak_mapped_bytes", "peak_rss_bytes",
			"verify_errors", "check", "stats"} {
			if _, ok := res[k]; !ok {
				t.Fatalf("%v: output lacks %q: %s", args, k, out.String())
			}
		}
		if res["check"] != "ok" || res["verify_errors"] != 0.0 || res["ops"] != 11.0 {
			t.Fatalf("%v: %s", args, out.String())
		}
		if res["heap"] != tc.heap || res["mode"] != tc.mode || res["touch"] != tc.touch ||
			res["lock"] != tc.lock {
			t.Fatalf("%v: heap %v, mode %v, touch %v, lock %v; want %s, %s, %s, %s", args, res["heap"], res["mode"],
				res["touch"], res["lock"], tc.heap, tc.mode, tc.touch, tc.lock)
		}
	}
}

func TestMMReplayErrors(t *testing.T) {
	path := writeTrace(t)
	bad := filepath.Join(t.TempDir(), "bad.trace")
	os.WriteFile(bad, []byte("ALLOCTR1 but not really"), 0o644)
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{nil, 2, "usage"},
		{[]string{"--heap", "other", path}, 2, "bad --heap"},
		{[]string{"--mode", "16", path}, 2, "bad --mode"},
		{[]string{"/nonexistent/trace"}, 1, "no such file"},
		{[]string{bad}, 1, "not an ALLOCTR1 trace"},
	} {
		var out, errb bytes.Buffer
		if code := mmReplay(tc.args, &out, &errb); code != tc.code || !strings.Contains(errb.String(), tc.want) {
			t.Fatalf("%v: exit %d, stderr %q; want %d and %q", tc.args, code, errb.String(), tc.code, tc.want)
		}
	}
}
