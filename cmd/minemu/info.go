package main

import (
	"fmt"
	"io"
	"os"
	"text/tabwriter"

	"github.com/minemu/minemu/loader"
	"github.com/minemu/minemu/mm"
)

// runInfo implements `minemu info GUEST...`: it describes each ELF file as
// a user checking whether minemu can run it wants to see. The exit status
// is 0 when every file was described, 1 when any could not be read or is
// not a valid executable, 2 on a usage error. `minemu info --cpu` (infoCPU)
// describes the CPU a guest sees instead.
func runInfo(args []string) int {
	return infoMain(args, os.Stdout, os.Stderr)
}

func infoMain(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 && isCPUFlag(args[0]) {
		return infoCPU(args, stdout, stderr)
	}
	if len(args) == 0 || args[0] == "-h" || args[0] == "-help" || args[0] == "--help" {
		w := stderr
		if len(args) > 0 {
			w = stdout
		}
		fmt.Fprint(w, "usage: minemu info GUEST...\n       minemu info --cpu [LEVEL] [--mode 32|64]\n\nPrints the class, machine, type, entry point, program headers and\ninterpreter of each ELF file, and whether minemu can run it; with --cpu,\nthe CPU a guest sees (minemu info --cpu -h for more).\n")
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	status := 0
	for i, path := range args {
		if i > 0 {
			fmt.Fprintln(stdout)
		}
		f, err := loader.Inspect(path)
		if err != nil {
			fmt.Fprintf(stderr, "minemu info: %v\n", err)
			status = 1
			continue
		}
		describeELF(stdout, f)
	}
	return status
}

// describeELF prints one file's description.
func describeELF(w io.Writer, f *loader.File) {
	class, bits := "ELF64", "x86-64 guest, 64-bit mode"
	machine := "EM_X86_64"
	if f.Mode == mm.Mode32 {
		class, bits, machine = "ELF32", "i386 guest, 32-bit mode", "EM_386"
	}
	fmt.Fprintf(w, "File:         %s (%d bytes)\n", f.Path, f.Size)
	fmt.Fprintf(w, "Class:        %s (%s)\n", class, bits)
	fmt.Fprintf(w, "Machine:      %s (%s)\n", f.MachineName(), machine)
	fmt.Fprintf(w, "Type:         %s\n", f.TypeName())
	if f.Type == loader.ETDyn {
		base := loader.DynBase(f.Mode)
		lo, _ := f.Span()
		fmt.Fprintf(w, "Entry:        %#x (relative; loaded at base %#x: %#x)\n", f.Entry, base-lo, f.Entry+base-lo)
	} else {
		fmt.Fprintf(w, "Entry:        %#x\n", f.Entry)
	}
	if f.Interp != "" {
		fmt.Fprintf(w, "Interpreter:  %s\n", loader.Printable(f.Interp))
		fmt.Fprintf(w, "Runnable:     yes (dynamically linked: needs the interpreter, on the host or under --sysroot)\n")
	} else {
		fmt.Fprintf(w, "Interpreter:  none (statically linked)\n")
		fmt.Fprintf(w, "Runnable:     yes\n")
	}
	fmt.Fprintf(w, "Program headers (%d):\n", len(f.Progs))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  TYPE\tOFFSET\tVADDR\tFILESZ\tMEMSZ\tFLAGS\tALIGN")
	for _, p := range f.Progs {
		fmt.Fprintf(tw, "  %s\t%#x\t%#x\t%#x\t%#x\t%s\t%#x\n",
			loader.ProgTypeName(p.Type), p.Off, p.Vaddr, p.Filesz, p.Memsz, loader.FlagString(p.Flags), p.Align)
	}
	tw.Flush()
}
