package loader

import "testing"

func TestPrintable(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"/lib/ld-linux.so.2", "/lib/ld-linux.so.2"},
		{"main", "main"},
		{"_ZN3foo3barEv", "_ZN3foo3barEv"},
		{"état", "état"},
		{"", `""`},
		{"/lib/\x1b[31mevil\nld.so", `"/lib/\x1b[31mevil\nld.so"`},
		{"a b", `"a b"`},
		{`"quoted"`, `"\"quoted\""`},
		{`back\slash`, `"back\\slash"`},
		{"\xff\xfe", `"\xff\xfe"`},
		{"bidi\u202eevil", `"bidi\u202eevil"`},
		{"nul\x00", `"nul\x00"`},
		{"del\x7f", `"del\x7f"`},
	} {
		if got := Printable(tc.in); got != tc.want {
			t.Fatalf("Printable(%q) = %s, want %s", tc.in, got, tc.want)
		}
	}
}
