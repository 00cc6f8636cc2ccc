package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"
	"golang.org/x/sys/unix"

	"github.com/minemu/minemu/guest/cpu"
	"github.com/minemu/minemu/guest/engine"
	"github.com/minemu/minemu/guest/hostsig"
	"github.com/minemu/minemu/guest/interp" // registers the interpreter
	"github.com/minemu/minemu/guest/isa/cpuid"
	"github.com/minemu/minemu/guest/linux"
	"github.com/minemu/minemu/guest/linux/fdband"
	"github.com/minemu/minemu/guest/linux/forkexec"
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
//
// restored is the image of a guest continued from another minemu (`--restore`,
// taken over before the band was set up), or nil.
func runGuest(args []string, stdout, stderr io.Writer, band *fdband.Band, restored *forkexec.Restored) int {
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
	fs.Int("restore", -1, "internal: continue the guest of the image in descriptor `FD` (a guest's fork and execve start minemu so)")
	restoreTry := fs.Int("restore-try", 0, "internal: how many processes have tried to restore the image before this one (`N`)")
	layoutTry := fs.Int("layout-try", 0, "internal: how many processes found the Go heap below 4 GiB before this one (`N`)")
	// Dynamically linked guests: where the interpreter and the guest's
	// absolute paths are looked up first (qemu's -L and QEMU_LD_PREFIX).
	sysroot := fs.String("sysroot", os.Getenv("MINEMU_SYSROOT"), "look up the guest's interpreter and the absolute paths it opens under `DIR` first (default $MINEMU_SYSROOT)")
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
	if restored != nil && !restored.Image.Vfork {
		defer restored.Close()
	}
	forked := restored != nil && restored.Image.Kind == forkexec.KindFork
	if fs.NArg() < 1 && !forked {
		fs.Usage()
		return 2
	}
	opts := map[string]string{}
	fs.Visit(func(f *flag.Flag) { opts[f.Name] = f.Value.String() })
	guestPath, guestArgs, guestEnv := fs.Arg(0), fs.Args(), os.Environ()
	if restored != nil && restored.Image.Kind == forkexec.KindExec {
		guestEnv = restored.Image.Env
	}
	if forked {
		guestPath, guestArgs = restored.Image.ExePath, nil
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
	s, err := newSession(guestPath, guestArgs, guestEnv, sessionOptions{strace: straceW, blockCache: *blockCacheMiB << 20, band: band, engine: *engineName, cpu: level,
		sysroot: *sysroot, spawn: spawnConfig(opts), restored: restored, restoreTry: *restoreTry, layoutTry: *layoutTry}, log)
	if err != nil {
		fmt.Fprintln(stderr, "minemu:", err)
		return 1
	}
	defer s.close()

	// Host signals: minemu's handlers in front of Go's (their wake pipe
	// in the descriptor band), the guest's thread registered so that the
	// signals the host sends it are the guest's, and the process-directed
	// ones routed to the guest while it runs.
	if !hostsig.Installed() {
		if err := hostsig.Install(hostsig.Config{Guest: hostsig.DefaultGuestSignals, PlaceFD: band.Move}); err != nil {
			fmt.Fprintln(stderr, "minemu: host signals:", err)
			return 1
		}
	}
	hs, err := hostsig.Register()
	if err != nil {
		fmt.Fprintln(stderr, "minemu: host signals:", err)
		return 1
	}
	defer hs.Unregister()
	s.kernel.Main().SetHost(hs, func() { s.thread.Interrupt(engine.StopSignal) })
	routed := make(chan struct{})
	defer close(routed)
	go s.kernel.RouteHostSignals(routed)

	exit := s.runThreads(func(e cpu.Exit) {
		// The process ended while its main thread blocks in a host call
		// that nothing interrupts yet: end it here, without the reports.
		if e.Signal != 0 {
			fmt.Fprintf(stderr, "minemu: guest %s killed by %s: %s\n", guestPath, signalName(e), e.Detail)
		}
		os.Exit(e.Status())
	})
	s.kernel.ReleaseVfork()
	if exit.Signal != 0 {
		where := "" // the main thread's CPU shows where only the main thread ended
		if s.kernel.EndedByMain() {
			where = s.where()
		}
		fmt.Fprintf(stderr, "minemu: guest %s killed by %s: %s%s\n", guestPath, signalName(exit), exit.Detail, where)
	}
	status := exit.Status()
	guestSignal = exit.Signal
	// The guest's file-size limit is not minemu's (the --stats file).
	s.kernel.RestoreHostLimits()

	if *statsFile != "" || *audit || *mapFile != "" {
		st := s.stats(exit)
		if *mapFile != "" {
			if err := writeMap(*mapFile, st.MM.Audit, guestPath); err != nil {
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
				err = os.WriteFile(statsPath(*statsFile), append(b, '\n'), 0o644)
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
	// threadsLeft is set when guest threads were still running after the
	// process's end (runThreads): close then releases nothing.
	threadsLeft bool
}

// sessionOptions are the flags that shape a session.
type sessionOptions struct {
	strace     io.Writer    // nil: no --strace
	blockCache uint64       // the block cache's budget in bytes; 0: the default
	band       *fdband.Band // minemu's descriptor band (fdband.PrepareHost)
	engine     string       // the engine's name; "": engine.DefaultEngine
	cpu        cpuid.Level  // --cpu; 0: interp.DefaultLevel
	sysroot    string       // --sysroot; "": none
	// spawn is how the guest's fork and execve start minemu again.
	spawn linux.SpawnConfig
	// layoutTry counts the new processes started because the Go heap lay
	// below 4 GiB (--layout-try).
	layoutTry int
	// restoreTry counts the new processes a forked child has tried
	// (--restore-try).
	restoreTry int
	// restored is the image of a continued guest (--restore), or nil: a
	// fork's child restores the guest instead of loading path, an exec'd
	// program gets argv[0], AT_EXECFN and what execve keeps from it.
	restored *forkexec.Restored
}

// newSession builds the address space, heaps, kernel and machine for the
// executable at path and loads it with argv and envp.
func newSession(path string, argv, envp []string, opt sessionOptions, log zerolog.Logger) (s *session, err error) {
	// Inspect closes the file again, and Load below opens it anew: a
	// descriptor kept open while the guest runs would take one of the
	// guest's numbers.
	var img *forkexec.Image
	if opt.restored != nil {
		img = opt.restored.Image
	}
	forked := img != nil && img.Kind == forkexec.KindFork
	var f *loader.File
	if forked {
		f = &loader.File{Mode: img.Mode}
	} else if f, err = loader.Inspect(path); err != nil {
		return nil, err
	}
	if f.Mode == mm.Mode32 {
		// Before anything is mapped: every mapping below 4 GiB is then
		// minemu's own.
		if err := checkWindowFree(path); err != nil {
			var wt *windowTakenError
			if errors.As(err, &wt) && wt.onlyGoHeap() && opt.layoutTry < maxLayoutTries {
				// The Go runtime's randomized heap base fell below 4 GiB:
				// another process draws another one.
				err = reexecLayout(opt.layoutTry + 1)
			}
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
	if forked {
		if err := linux.RestoreMemory(s.space, opt.restored); err != nil {
			if errors.Is(err, unix.EEXIST) && opt.restoreTry < maxRestoreTries {
				// minemu's own early memory took a guest range: a new
				// process has another layout.
				err = opt.restored.Reexec(restoreArgs(opt.restoreTry + 1))
			}
			return s, fmt.Errorf("restoring the forked guest's memory: %w", err)
		}
		opt.restored.Release()
		if err := adoptVfork(opt.restored, opt.band); err != nil {
			return s, err
		}
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
	model, err := interp.NewModel(opt.cpu, s.mode == mm.Mode64)
	if err != nil {
		return s, fmt.Errorf("cpu model: %w", err)
	}
	// Signal frames hold the state of the CPU the guest is shown; 0x2ffff
	// is the MXCSR_MASK the interpreter's FXSAVE stores.
	frames := cpu.FrameConfig{XCR0: model.XCR0(), XSaveSize: model.XSaveSize(), MXCSRMask: 0x2ffff}
	if s.kernel, err = linux.NewProcess(linux.ProcessConfig{Mode: s.mode, Space: s.space, ExePath: path, Strace: opt.strace, Log: log, FDBand: opt.band,
		Sysroot: opt.sysroot, Spawn: opt.spawn, Frames: frames, JobControl: true}); err != nil {
		return s, err
	}
	if s.thunks, err = thunks.New(thunks.Config{Mode: s.mode, Space: s.space, Heap: s.host, Log: log}); err != nil {
		return s, err
	}
	if s.proc, err = engine.NewProcess(engine.Config{
		Mode: s.mode, Space: s.space, Kernel: s.kernel, Thunker: s.thunks.Registry, Code: s.dynarec, Data: s.primary,
		BlockCacheBudget: opt.blockCache, Engine: opt.engine, CPU: model, Log: log,
	}); err != nil {
		return s, err
	}
	s.thunks.SetCaller(s.proc)
	s.cpu = cpu.NewCPU(s.mode)
	if forked {
		if err := s.kernel.Continue(opt.restored, s.cpu); err != nil {
			return s, fmt.Errorf("continuing the forked guest: %w", err)
		}
		if !img.Vfork {
			opt.restored.Close() // a vfork child compares its memory with it at the end
		}
		s.thread, err = s.proc.NewThread(s.cpu)
		return s, err
	}
	lopt := loader.Options{Mode: s.mode, HWCap: model.HWCAP(), Sysroot: opt.sysroot, MinSigStkSz: frames.MinSigStkSz()}
	if img != nil {
		if len(argv) > 0 {
			argv = append([]string{img.Argv0}, argv[1:]...)
		}
		lopt.ExecFn = img.ExecFn
		if err := s.kernel.Continue(opt.restored, s.cpu); err != nil {
			return s, err
		}
	}
	l, err := loader.Load(s.space, path, argv, envp, lopt)
	if err != nil {
		return s, err
	}
	// free_any refuses the stack and the image outright: neither is a heap.
	s.thunks.Lib.AddNotHeap("stack", l.Stack)
	for _, seg := range l.Segments {
		s.thunks.Lib.AddNotHeap("image", seg.Pages)
	}
	if l.Interpreter != nil {
		for _, seg := range l.Interpreter.Segments {
			s.thunks.Lib.AddNotHeap("interpreter", seg.Pages)
		}
	}
	// /proc/self as the guest expects it: its cmdline, environ, auxv and
	// comm.
	auxv := make([]uint64, 0, 2*len(l.Auxv))
	for _, a := range l.Auxv {
		auxv = append(auxv, a.Key, a.Val)
	}
	s.kernel.SetExecImage(linux.ExecImage{ArgStart: l.ArgStart, ArgEnd: l.ArgEnd, EnvStart: l.EnvStart, EnvEnd: l.EnvEnd, Auxv: auxv})
	if err := linux.SetHostComm(linux.CommOf(path)); err != nil {
		log.Info().Err(err).Msg("naming minemu's threads after the guest")
	}
	s.base = l.Base
	s.cpu.RIP = l.RIP
	s.cpu.Regs[cpu.RSP] = l.SP
	if s.thread, err = s.proc.NewThread(s.cpu); err != nil {
		return s, err
	}
	// Guest threads: the engine starts the threads clone creates, and the
	// process's end stops the main thread through its handle.
	s.kernel.SetThreadStarter(s.proc)
	s.kernel.Main().SetHandle(s.thread)
	return s, nil
}

// The guest's main thread runs on the process's main OS thread, whose
// thread id is the pid: the tid the guest's main thread has (gettid, the
// owner a PI futex names) is then the host's too. init locks the main
// goroutine to it before main runs.
func init() { runtime.LockOSThread() }

// threadsGrace bounds the wait for the other threads to stop once the
// process's end is decided; a thread blocked in a host system call that
// nothing interrupts yet stays behind (see runThreads).
const threadsGrace = 250 * time.Millisecond

// runThreads runs the guest's main thread and returns the process's end
// (linux.Process.Wait): the main thread's own when it ended the process,
// else that of the thread that did, or the main thread's exit code when
// every thread ended with exit. Once it is decided the other threads are
// stopped; when one does not stop within threadsGrace (it is blocked in a
// host system call), the session keeps its memory mapped (close does
// nothing) so that the thread never touches memory that was unmapped, and
// the process's exit ends it. When the main thread itself stays blocked
// that long after another thread ended the process, stuck is called with
// the end, on another goroutine, and must not return.
func (s *session) runThreads(stuck func(cpu.Exit)) cpu.Exit {
	var state atomic.Int32 // 0 running, 1 the main thread returned, 2 stuck
	mainDone := make(chan struct{})
	go func() {
		select {
		case <-s.kernel.Ended():
		case <-mainDone:
			return
		}
		time.Sleep(threadsGrace)
		if state.CompareAndSwap(0, 2) {
			stuck(s.kernel.Wait())
		}
	}()
	e := s.thread.Run()
	if !state.CompareAndSwap(0, 1) {
		select {} // stuck is ending the process
	}
	close(mainDone)
	s.kernel.Main().Exited(e)
	e = s.kernel.Wait()
	deadline := time.Now().Add(threadsGrace)
	for s.kernel.Running() > 0 {
		if time.Now().After(deadline) {
			s.threadsLeft = true
			break
		}
		time.Sleep(time.Millisecond)
	}
	return e
}

// close releases the session's memory. Heaps go first: their blocks live
// in the regions and the guest space.
func (s *session) close() {
	if s.threadsLeft {
		return
	}
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
