package thunks

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestHeaderIsGenerated fails when tests/guests/include/minemu.h differs
// from what the generator writes today: run `go generate ./thunks`.
func TestHeaderIsGenerated(t *testing.T) {
	committed, err := os.ReadFile(filepath.Join("..", HeaderPath))
	if err != nil {
		t.Fatalf("reading the committed header: %v", err)
	}
	var want bytes.Buffer
	if err := WriteHeader(&want, HostLibSpecs()); err != nil {
		t.Fatalf("WriteHeader: %v", err)
	}
	if !bytes.Equal(committed, want.Bytes()) {
		t.Fatalf("%s is stale: run `go generate ./thunks` (committed %d bytes, generated %d)", HeaderPath, len(committed), want.Len())
	}
}

// TestHeaderDeclaresEverySpec checks the generated text for each function:
// the struct has one slot per parameter plus ret, in order, and the stub
// holds 0F 3F followed by exactly the function's hash.
func TestHeaderDeclaresEverySpec(t *testing.T) {
	var buf bytes.Buffer
	specs := HostLibSpecs()
	if err := WriteHeader(&buf, specs); err != nil {
		t.Fatal(err)
	}
	text := buf.String()
	for i := range specs {
		s := &specs[i]
		var st strings.Builder
		fmt.Fprintf(&st, "struct %s {\n", structName(s))
		for _, p := range s.Params {
			fmt.Fprintf(&st, "\tuintptr_t %s;\n", p.Name)
		}
		st.WriteString("\tuintptr_t ret;\n};\n")
		if !strings.Contains(text, st.String()) {
			t.Errorf("%s: packed struct missing or wrong; want\n%s", s.FullName(), st.String())
		}
		// Recover the stub's bytes from its .byte lines.
		start := strings.Index(text, "MINEMU_STUB "+stubName(s)+"(")
		if start < 0 {
			t.Fatalf("%s: no stub", s.FullName())
		}
		body := text[start:]
		body = body[:strings.Index(body, "}\n")]
		var got []byte
		for _, f := range strings.FieldsFunc(body, func(r rune) bool {
			return r == ',' || r == ' ' || r == '"' || r == '\n' || r == '\t' || r == '\\' || r == ')' || r == ';'
		}) {
			var b byte
			if _, err := fmt.Sscanf(f, "0x%02x", &b); err == nil && strings.HasPrefix(f, "0x") && len(f) == 4 {
				got = append(got, b)
			}
		}
		h := Hash(s.Library, s.Name)
		want := append([]byte{0x0f, 0x3f}, h[:]...)
		if !bytes.Equal(got, want) {
			t.Errorf("%s: stub bytes % x, want % x", s.FullName(), got, want)
		}
		if !strings.Contains(text, "static inline "+cDecl(s.Result, wrapperName(s))+"(") {
			t.Errorf("%s: wrapper %s missing", s.FullName(), wrapperName(s))
		}
	}
	if !strings.Contains(text, "static inline char *minemu_format(const char *fmt, ...)") {
		t.Errorf("the variadic minemu_format is missing")
	}
}

func TestWriteHeaderRejectsBadSpec(t *testing.T) {
	err := WriteHeader(&bytes.Buffer{}, []Spec{{Library: "x y", Name: "f", Result: "int", ResultKind: KindInt}})
	if err == nil {
		t.Fatalf("WriteHeader accepted a malformed spec")
	}
}
