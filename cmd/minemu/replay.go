package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/minemu/minemu/mm"
)

const mmReplayUsage = "usage: minemu mm replay [--heap primary|host] [--mode 32|64] [--pages] [--hold-lock] TRACE\n"

// runMMReplay implements `minemu mm replay`: it replays an ALLOCTR1
// allocation trace (the allocator benchmark's README.md) through the primary heap (blocks
// from Regions) or the host heap (blocks from the guest window) and prints
// one JSON object: ops, ns_per_op, peak_live_bytes, peak_mapped_bytes,
// peak_rss_bytes, verify_errors, check and the heap's stats. The exit status
// is 0 when every tag read back and Check passed, 1 otherwise, 2 for bad
// usage.
func runMMReplay(args []string) int { return mmReplay(args, os.Stdout, os.Stderr) }

func mmReplay(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("mm replay", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, mmReplayUsage); fs.PrintDefaults() }
	heap := fs.String("heap", "primary", "heap to replay through: primary (blocks from Regions) or host (blocks from the guest window)")
	mode := fs.Int("mode", 32, "address-space mode: 32 (minemu's memory above 4 GiB, the guest window below) or 64")
	pages := fs.Bool("pages", false, "touch every 4 KiB page of each block, not only its ends")
	hold := fs.Bool("hold-lock", false, "take the heap's lock once around the replay instead of in every call")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() != 1 {
		fmt.Fprint(stderr, mmReplayUsage)
		return 2
	}
	var m mm.Mode
	switch *mode {
	case 32:
		m = mm.Mode32
	case 64:
		m = mm.Mode64
	default:
		fmt.Fprintf(stderr, "minemu mm replay: bad --mode %d (want 32 or 64)\n", *mode)
		return 2
	}
	tr, err := mm.LoadTrace(fs.Arg(0))
	if err != nil {
		fmt.Fprintf(stderr, "minemu mm replay: %v\n", err)
		return 1
	}
	var (
		h       *mm.Heap
		cleanup func() error
	)
	switch *heap {
	case "primary":
		var r *mm.Regions
		if r, err = mm.NewRegions(mm.RegionsConfig{Mode: m}); err != nil {
			fmt.Fprintf(stderr, "minemu mm replay: %v\n", err)
			return 1
		}
		cleanup = r.Close
		h, err = mm.NewPrimaryHeap(r)
	case "host":
		var g *mm.GuestSpace
		if g, err = mm.NewGuestSpace(mm.GuestSpaceConfig{Mode: m}); err != nil {
			fmt.Fprintf(stderr, "minemu mm replay: %v\n", err)
			return 1
		}
		cleanup = g.Close
		h, err = mm.NewHostHeap(g)
	default:
		fmt.Fprintf(stderr, "minemu mm replay: bad --heap %q (want primary or host)\n", *heap)
		return 2
	}
	if err != nil {
		fmt.Fprintf(stderr, "minemu mm replay: %v\n", err)
		cleanup()
		return 1
	}
	res, rerr := mm.ReplayTrace(h, tr, mm.ReplayOptions{TouchPages: *pages, HoldLock: *hold})
	res.Mode = m.String()
	cerr := h.Close()
	if err := cleanup(); cerr == nil {
		cerr = err
	}
	out, err := json.Marshal(res)
	if err != nil {
		fmt.Fprintf(stderr, "minemu mm replay: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "%s\n", out)
	switch {
	case rerr != nil:
		fmt.Fprintf(stderr, "minemu mm replay: %v\n", rerr)
		return 1
	case cerr != nil:
		fmt.Fprintf(stderr, "minemu mm replay: releasing the heap: %v\n", cerr)
		return 1
	case res.VerifyErrors != 0 || res.Check != "ok":
		fmt.Fprintf(stderr, "minemu mm replay: %d verify errors, check: %s\n", res.VerifyErrors, res.Check)
		return 1
	}
	return 0
}
