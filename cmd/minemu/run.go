package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/rs/zerolog"
	"golang.org/x/sys/unix"

	"github.com/minemu/minemu/guest/cpu"
	"github.com/minemu/minemu/guest/engine"
	"github.com/minemu/minemu/guest/interp" // registers the interpreter
	"github.com/minemu/minemu/guest/isa/cpuid"
	"github.com/minemu/minemu/guest/linux"
	"github.com/minemu/minemu/guest/linux/fdband"
	"github.com/minemu/minemu/loader"
	"github.com/minemu/minemu/mm"
	"github.com/minemu/minemu/thunks"
)

// runGuest implements `minemu run [flags] GUEST [ARGS...]`. It returns the
// guest's exit status (128+signal when a signal killed it, as a shell
// shows it), or 1 when minemu could not start the guest (among others: a
// 32-bit guest while minemu's own memory lies below 4 GiB), 2 on bad usage.
//
// band is the descriptor band fdband.PrepareHost set up.
func runGuest(args []string, stdout, stderr io.Writer, band *fdband.Band) int {
	fs := flag.NewFlagSet("minemu run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	logLevel := fs.String("log-level", "warn", "log `level`: trace, debug, info, warn, error, disabled")
	logFormat := fs.String("log-format", "console", "log `format`: console or json")
	strace := fs.Bool("strace", false, "print one line per guest system call to stderr")
	statsFile := fs.String("stats", "", "write run statistics as JSON to `FILE` at exit")
	audit := fs.Bool("audit", false, "run the 4 GiB address-space audit at exit and print its verdict to stderr")
	mapFile := fs.String("map", "", "draw the address space at exit as an SVG picture into `FILE`")
	engineName := fs.String("engine", engine.DefaultEngine, "run the guest on the engine `NAME` ("+strings.Join(engine.Names(), ", ")+")")
	blockCacheMiB := fs.Uint64("block-cache-mib", engine.DefaultBlockCacheBudget>>20,
		"bound the decoded-block cache (ops and metadata) to `MIB` mebibytes; the oldest blocks are evicted")
	cpuLevel := fs.String("cpu", "", "model the x86-64 `LEVEL` x86-64, x86-64-v2 or x86-64-v3 (default: the highest one implemented; see minemu info --cpu)")
	showVersion := fs.Bool("version", false, "print minemu's version and exit")
	fs.Usage = func() {
		fmt.Fprint(stderr, "usage: minemu run [flags] GUEST [ARGS...]\n\nRuns GUEST (an i386 or x86-64 Linux ELF executable) with ARGS and the caller's\nenvironment; the exit status is the guest's.\n\nflags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if *showVersion {
		fmt.Fprintln(stdout, "minemu", version)
		return 0
	}
	if fs.NArg() < 1 {
		fs.Usage()
		return 2
	}
	if !slices.Contains(engine.Names(), *engineName) {
		fmt.Fprintf(stderr, "minemu: bad --engine %q (want one of %s)\n", *engineName, strings.Join(engine.Names(), ", "))
		return 2
	}
	if *blockCacheMiB == 0 || *blockCacheMiB > 1<<20 {
		fmt.Fprintf(stderr, "minemu: bad --block-cache-mib %d (want 1 to %d)\n", *blockCacheMiB, 1<<20)
		return 2
	}
	var level cpuid.Level
	if *cpuLevel != "" {
		var err error
		if level, err = cpuid.ParseLevel(*cpuLevel); err != nil {
			fmt.Fprintf(stderr, "minemu: bad --cpu: %v\n", err)
			return 2
		}
	}
	log, err := newLogger(stderr, *logLevel, *logFormat)
	if err != nil {
		fmt.Fprintln(stderr, "minemu:", err)
		return 2
	}
	var straceW io.Writer
	if *strace {
		straceW = stderr
	}
	for _, n := range band.Notes() {
		log.Info().Msg("descriptor band: " + n)
	}
	s, err := newSession(fs.Arg(0), fs.Args(), os.Environ(), sessionOptions{strace: straceW, blockCache: *blockCacheMiB << 20, band: band, engine: *engineName, cpu: level}, log)
	if err != nil {
		fmt.Fprintln(stderr, "minemu:", err)
		return 1
	}
	defer s.close()

	exit := s.thread.Run()
	if exit.Signal != 0 {
		fmt.Fprintf(stderr, "minemu: guest %s killed by %s: %s%s\n", fs.Arg(0), signalName(exit), exit.Detail, s.where())
	}
	status := exit.Status()
	// The guest's file-size limit is not minemu's (the --stats file).
	s.kernel.RestoreHostLimits()

	if *statsFile != "" || *audit || *mapFile != "" {
		st := s.stats(exit)
		if *mapFile != "" {
			if err := writeMap(*mapFile, st.MM.Audit, fs.Arg(0)); err != nil {
				fmt.Fprintln(stderr, "minemu: --map:", err)
				if status == 0 {
					status = 1
				}
			}
		}
		if *audit {
			if st.MM.Audit.OK {
				fmt.Fprintf(stderr, "minemu: 4 GiB audit: ok (mode %v)\n", s.mode)
			} else {
				fmt.Fprintf(stderr, "minemu: 4 GiB audit FAILED (mode %v):\n", s.mode)
				for _, v := range st.MM.Audit.Violations {
					fmt.Fprintln(stderr, "  ", v)
				}
				if status == 0 {
					status = 1
				}
			}
		}
		if *statsFile != "" {
			b, err := json.MarshalIndent(st, "", "  ")
			if err == nil {
				err = os.WriteFile(*statsFile, append(b, '\n'), 0o644)
			}
			if err != nil {
				fmt.Fprintln(stderr, "minemu: --stats:", err)
				if status == 0 {
					status = 1
				}
			}
		}
	}
	return status
}

// writeMap draws the audited address space into the SVG file path.
func writeMap(path string, rep mm.AuditReport, guestPath string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	err = mm.WriteMapSVG(f, rep, fmt.Sprintf("minemu: address space of %s at exit", guestPath))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

func signalName(e cpu.Exit) string {
	if n := unix.SignalName(e.Signal); n != "" {
		return n
	}
	return fmt.Sprintf("signal %d", int(e.Signal))
}

// session is one guest with everything it runs on. newSession sets every
// field once, in order (a field is nil when construction failed before
// it, which is what close relies on); afterwards only the goroutine that
// runs the guest uses the session, so nothing needs a lock.
type session struct {
	mode    mm.Mode
	regions *mm.Regions
	space   *mm.GuestSpace
	primary *mm.Heap
	host    *mm.Heap
	dynarec *mm.Heap
	kernel  *linux.Process
	thunks  *thunks.Thunks
	proc    *engine.Process
	thread  *engine.Thread
	cpu     *cpu.CPU
	// path and base (the image's load bias, 0 for ET_EXEC) locate the
	// guest's symbol table for reports.
	path string
	base uint64
}

// sessionOptions are the flags that shape a session.
type sessionOptions struct {
	strace     io.Writer    // nil: no --strace
	blockCache uint64       // the block cache's budget in bytes; 0: the default
	band       *fdband.Band // minemu's descriptor band (fdband.PrepareHost)
	engine     string       // the engine's name; "": engine.DefaultEngine
	cpu        cpuid.Level  // --cpu; 0: interp.DefaultLevel
}

// newSession builds the address space, heaps, kernel and machine for the
// executable at path and loads it with argv and envp.
func newSession(path string, argv, envp []string, opt sessionOptions, log zerolog.Logger) (s *session, err error) {
	// Inspect closes the file again, and Load below opens it anew: a
	// descriptor kept open while the guest runs would take one of the
	// guest's numbers.
	f, err := loader.Inspect(path)
	if err != nil {
		return nil, err
	}
	if f.Mode == mm.Mode32 {
		// Before anything is mapped: every mapping below 4 GiB is then
		// minemu's own.
		if err := checkWindowFree(path); err != nil {
			return nil, err
		}
	}
	s = &session{mode: f.Mode, path: path}
	defer func() {
		if err != nil {
			s.close()
		}
	}()
	if s.regions, err = mm.NewRegions(mm.RegionsConfig{Mode: s.mode, Log: log}); err != nil {
		return s, fmt.Errorf("internal regions: %w", err)
	}
	if s.space, err = mm.NewGuestSpace(mm.GuestSpaceConfig{Mode: s.mode, Log: log}); err != nil {
		return s, fmt.Errorf("guest address space: %w", err)
	}
	if s.primary, err = mm.NewPrimaryHeap(s.regions); err != nil {
		return s, fmt.Errorf("primary heap: %w", err)
	}
	if s.host, err = mm.NewHostHeap(s.space); err != nil {
		return s, fmt.Errorf("host heap: %w", err)
	}
	if s.dynarec, err = mm.NewDynarecHeap(s.regions); err != nil {
		return s, fmt.Errorf("dynarec heap: %w", err)
	}
	if s.kernel, err = linux.NewProcess(linux.ProcessConfig{Mode: s.mode, Space: s.space, ExePath: path, Strace: opt.strace, Log: log, FDBand: opt.band}); err != nil {
		return s, err
	}
	if s.thunks, err = thunks.New(thunks.Config{Mode: s.mode, Space: s.space, Heap: s.host, Log: log}); err != nil {
		return s, err
	}
	model, err := interp.NewModel(opt.cpu, s.mode == mm.Mode64)
	if err != nil {
		return s, fmt.Errorf("cpu model: %w", err)
	}
	if s.proc, err = engine.NewProcess(engine.Config{
		Mode: s.mode, Space: s.space, Kernel: s.kernel, Thunker: s.thunks.Registry, Code: s.dynarec, Data: s.primary,
		BlockCacheBudget: opt.blockCache, Engine: opt.engine, CPU: model, Log: log,
	}); err != nil {
		return s, err
	}
	s.thunks.SetCaller(s.proc)
	l, err := loader.Load(s.space, path, argv, envp, loader.Options{Mode: s.mode, HWCap: model.HWCAP()})
	if err != nil {
		return s, err
	}
	// free_any refuses the stack and the image outright: neither is a heap.
	s.thunks.Lib.AddNotHeap("stack", l.Stack)
	for _, seg := range l.Segments {
		s.thunks.Lib.AddNotHeap("image", seg.Pages)
	}
	s.base = l.Base
	s.cpu = cpu.NewCPU(s.mode)
	s.cpu.RIP = l.RIP
	s.cpu.Regs[cpu.RSP] = l.SP
	if s.thread, err = s.proc.NewThread(s.cpu); err != nil {
		return s, err
	}
	return s, nil
}

// close releases the session's memory. Heaps go first: their blocks live
// in the regions and the guest space.
func (s *session) close() {
	if s.proc != nil {
		s.proc.Close()
	}
	for _, h := range []*mm.Heap{s.dynarec, s.host, s.primary} {
		if h != nil {
			h.Close()
		}
	}
	if s.space != nil {
		s.space.Close()
	}
	if s.regions != nil {
		s.regions.Close()
	}
}

// runStats is what --stats writes.
type runStats struct {
	Exit   exitStats    `json:"exit"`
	Guest  guestStats   `json:"guest"`
	MM     mmStats      `json:"mm"`
	Thunks thunks.Stats `json:"thunks"`
}

type exitStats struct {
	Status int    `json:"status"`
	Code   int    `json:"code"`
	Signal int    `json:"signal,omitempty"`
	Detail string `json:"detail,omitempty"`
}

type guestStats struct {
	Mode   string `json:"mode"`
	Engine string `json:"engine"`
	engine.Stats
	Syscalls linux.SyscallStats `json:"syscalls"`
	FDBand   fdband.Stats       `json:"fd_band"`
}

// mmStats is the "mm" object of --stats. Every heap listed is in use: the
// primary heap holds the engine's thread contexts and code filter, the
// dynarec heap the decoded blocks, and the host heap, which maps nothing
// before its first allocation, appears only when the guest used the thunk
// layer.
type mmStats struct {
	Primary    mm.HeapStats       `json:"primary"`
	Host       *mm.HeapStats      `json:"host,omitempty"`
	Dynarec    mm.HeapStats       `json:"dynarec"`
	Regions    mm.RegionsStats    `json:"regions"`
	GuestSpace mm.GuestSpaceStats `json:"guest_space"`
	Audit      mm.AuditReport     `json:"audit"`
}

func (s *session) stats(e cpu.Exit) runStats {
	st := runStats{
		Exit:  exitStats{Status: e.Status(), Code: e.Code, Signal: int(e.Signal), Detail: e.Detail},
		Guest: guestStats{Mode: s.mode.String(), Engine: s.proc.EngineName(), Stats: s.proc.Stats(), Syscalls: s.kernel.Stats(), FDBand: s.kernel.FDBand().Stats()},
		MM: mmStats{
			Primary: s.primary.Stats(), Dynarec: s.dynarec.Stats(),
			Regions: s.regions.Stats(), GuestSpace: s.space.Stats(),
		},
	}
	st.Thunks = s.thunks.Stats()
	thunked := false
	for _, n := range st.Thunks.Calls {
		thunked = thunked || n > 0
	}
	if hs := s.host.Stats(); hs.BlockMaps > 0 || thunked {
		st.MM.Host = &hs
	}
	// Nothing is tolerated: a 32-bit guest only runs when nothing of
	// minemu's lay below 4 GiB at start (checkWindowFree), so anything
	// there now is a violation.
	rep, err := mm.Audit(mm.AuditConfig{Mode: s.mode, Owners: []mm.RangeOwner{s.regions, s.space}})
	if err != nil {
		rep.OK = false
		rep.Violations = append(rep.Violations, "audit failed: "+err.Error())
	}
	st.MM.Audit = rep
	return st
}

// where names the guest function the CPU stopped in, from the guest's
// symbol table, as " in NAME+0xOFF"; "" when the executable is stripped or
// no symbol covers RIP.
func (s *session) where() string {
	syms, err := loader.ReadSymbols(s.path, s.base)
	if err != nil {
		return ""
	}
	name, off, ok := syms.Lookup(s.cpu.RIP)
	if !ok {
		return ""
	}
	return fmt.Sprintf(" in %s+%#x", loader.Printable(name), off)
}
