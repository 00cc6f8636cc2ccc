package main

// Guests continued from another minemu: a fork's child and an exec'd
// program arrive with `minemu run --restore FD`, FD holding the image their
// predecessor wrote (guest/linux/forkexec).

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/minemu/minemu/guest/linux"
	"github.com/minemu/minemu/guest/linux/fdband"
	"github.com/minemu/minemu/guest/linux/forkexec"
)

// restoreFD finds --restore's descriptor in a `minemu run` command line
// (before the guest's name); -1 when there is none.
func restoreFD(args []string) (int, error) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" || !strings.HasPrefix(a, "-") {
			return -1, nil
		}
		name, val, hasVal := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if name != "restore" {
			continue
		}
		if !hasVal {
			if i+1 >= len(args) {
				return -1, fmt.Errorf("--restore needs a descriptor")
			}
			val = args[i+1]
		}
		fd, err := strconv.Atoi(val)
		if err != nil || fd < 0 {
			return -1, fmt.Errorf("bad --restore %q", val)
		}
		return fd, nil
	}
	return -1, nil
}

// openRestore takes over the image of a `minemu run --restore FD` command
// line before the descriptor band exists (it closes FD and every
// descriptor the image names); nil when the command line has none.
func openRestore(args []string) (*forkexec.Restored, error) {
	fd, err := restoreFD(args)
	if err != nil || fd < 0 {
		return nil, err
	}
	r, err := forkexec.Open(fd)
	if err == nil && r.Image.Kind == forkexec.KindExec {
		// Nothing of an exec's image needs its descriptor again: the
		// program's descriptors start where the kernel's would.
		r.Release()
	}
	return r, err
}

// adoptVfork moves a vfork child's end of its parent's wait into the band:
// the parent resumes when it is closed, by the guest's exec (close-on-exec)
// or its exit.
func adoptVfork(r *forkexec.Restored, band *fdband.Band) error {
	if r == nil || !r.Image.Vfork {
		return nil
	}
	fd, err := band.Move(r.Image.VforkFD)
	r.Image.VforkFD = fd
	return err
}

// spawnConfig is how the guest's fork and execve start minemu again: the
// same executable with the options that shape a guest (not the ones that
// report on this run: --audit and --map; --stats only when it names a
// directory or a %p pattern, so that every process writes its own file).
func spawnConfig(opts map[string]string) linux.SpawnConfig {
	sc := linux.SpawnConfig{Exe: "/proc/self/exe"}
	for _, name := range []string{"log-level", "log-format", "engine", "cpu", "block-cache-mib", "sysroot"} {
		if v, ok := opts[name]; ok {
			sc.Args = append(sc.Args, "--"+name+"="+v)
		}
	}
	if _, ok := opts["strace"]; ok {
		sc.Args = append(sc.Args, "--strace")
	}
	if v, ok := opts["stats"]; ok && (strings.Contains(v, "%p") || isDir(v)) {
		abs, err := filepath.Abs(v)
		if err == nil {
			sc.Args = append(sc.Args, "--stats="+abs)
		}
	}
	return sc
}

// statsPath is where --stats writes for this process: a directory gets
// minemu.PID.json, a pattern has %p replaced by the pid.
func statsPath(v string) string {
	pid := strconv.Itoa(os.Getpid())
	if isDir(v) {
		return filepath.Join(v, "minemu."+pid+".json")
	}
	return strings.ReplaceAll(v, "%p", pid)
}

func isDir(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.IsDir()
}

// maxRestoreTries bounds how often a forked child starts minemu anew
// because minemu's own early memory lay where a guest area must go.
const maxRestoreTries = 4

// restoreArgs is this command line with --restore-try set to try.
func restoreArgs(try int) []string { return runArgsWith("restore-try", try) }

// runArgsWith is this `minemu run` command line with the run flag name set
// to v, right after `run`, where an earlier runArgsWith put it (and from
// where it is dropped); nothing else of the command line is touched.
func runArgsWith(name string, v int) []string {
	rest := os.Args[1:]
	if len(rest) == 0 || rest[0] != "run" {
		return os.Args
	}
	rest = rest[1:]
	// The internal flags earlier retries put first; only name's goes.
	var kept []string
	for len(rest) > 0 && (strings.HasPrefix(rest[0], "--layout-try=") || strings.HasPrefix(rest[0], "--restore-try=")) {
		if !strings.HasPrefix(rest[0], "--"+name+"=") {
			kept = append(kept, rest[0])
		}
		rest = rest[1:]
	}
	args := append([]string{os.Args[0], "run", "--" + name + "=" + strconv.Itoa(v)}, kept...)
	return append(args, rest...)
}
