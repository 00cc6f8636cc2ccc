// Command minemu runs 32-bit and 64-bit x86 Linux programs.
package main

import (
	"fmt"
	"os"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "0.1.0-dev"

func main() {
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int {
	if len(args) == 1 && (args[0] == "--version" || args[0] == "-version") {
		fmt.Println("minemu", version)
		return 0
	}
	fmt.Fprintln(os.Stderr, "usage: minemu --version")
	return 2
}
