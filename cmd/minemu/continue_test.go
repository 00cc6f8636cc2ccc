package main

import (
	"os"
	"strings"
	"testing"
)

// TestRestoreFD: --restore is found among the run flags in every spelling,
// and not among the guest's arguments.
func TestRestoreFD(t *testing.T) {
	cases := []struct {
		args []string
		fd   int
		bad  bool
	}{
		{[]string{"--restore", "7", "x"}, 7, false},
		{[]string{"-restore=12"}, 12, false},
		{[]string{"--strace", "--restore=3"}, 3, false},
		{[]string{"guest", "--restore", "5"}, -1, false},
		{[]string{"--", "--restore", "5"}, -1, false},
		{[]string{"--restore"}, -1, true},
		{[]string{"--restore", "x"}, -1, true},
		{[]string{"--restore=-1"}, -1, true},
	}
	for _, c := range cases {
		fd, err := restoreFD(c.args)
		if fd != c.fd || (err != nil) != c.bad {
			t.Errorf("restoreFD(%q) = %d, %v; want %d, error %v", c.args, fd, err, c.fd, c.bad)
		}
	}
}

// TestRunArgsWith: the internal retry flags go right after `run`, replace
// the setting an earlier retry put there, and leave the rest alone (the
// guest's own arguments included).
func TestRunArgsWith(t *testing.T) {
	saved := os.Args
	defer func() { os.Args = saved }()
	os.Args = []string{"/m", "run", "--layout-try=1", "--strace", "g", "--layout-try=9"}
	got := strings.Join(runArgsWith("layout-try", 2), " ")
	if want := "/m run --layout-try=2 --strace g --layout-try=9"; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
	os.Args = []string{"/m", "run", "--restore-try=1", "--layout-try=1", "--restore", "5"}
	got = strings.Join(runArgsWith("restore-try", 2), " ")
	if want := "/m run --restore-try=2 --layout-try=1 --restore 5"; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
}
