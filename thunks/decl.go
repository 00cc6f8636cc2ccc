package thunks

import (
	"fmt"
	"strings"
)

// parseDecl reads one C prototype of a thunk library,
//
//	RESULT NAME(TYPE NAME, TYPE NAME, ...)   or   RESULT NAME(void)
//
// and returns its name, parameters and result. Types are sequences of
// identifiers and '*'; how each travels follows from the type: any
// pointer is KindPtr; int, unsigned, char, short and the fixed-width
// types of at most 32 bits are KindInt; long, size_t, ssize_t, uintptr_t,
// intptr_t and ptrdiff_t (the guest's pointer width) are KindSize; void is
// a result only. A name in types (a typedef of the library's prelude)
// travels as given there. Function-pointer parameters need a typedef.
// 64-bit integers and floating point are refused: they do not fit an
// i386 slot.
func parseDecl(decl string, types map[string]Kind) (name string, params []Param, result string, kind Kind, err error) {
	d := strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(decl), ";"))
	open := strings.IndexByte(d, '(')
	if open < 0 || !strings.HasSuffix(d, ")") || strings.Count(d, "(") != 1 || strings.Count(d, ")") != 1 {
		return "", nil, "", 0, fmt.Errorf("thunks: declaration %q: want RESULT NAME(PARAMS) (function-pointer parameters need a typedef)", decl)
	}
	result, name, err = splitDecl(d[:open])
	if err != nil {
		return "", nil, "", 0, fmt.Errorf("thunks: declaration %q: %v", decl, err)
	}
	if kind, err = typeKind(result, types, true); err != nil {
		return "", nil, "", 0, fmt.Errorf("thunks: declaration %q: result: %v", decl, err)
	}
	inner := strings.TrimSpace(d[open+1 : len(d)-1])
	if inner == "void" || inner == "" {
		return name, nil, result, kind, nil
	}
	for _, ps := range strings.Split(inner, ",") {
		typ, pname, err := splitDecl(ps)
		if err != nil {
			return "", nil, "", 0, fmt.Errorf("thunks: declaration %q: parameter %q: %v", decl, strings.TrimSpace(ps), err)
		}
		k, err := typeKind(typ, types, false)
		if err != nil {
			return "", nil, "", 0, fmt.Errorf("thunks: declaration %q: parameter %s: %v", decl, pname, err)
		}
		params = append(params, Param{Name: pname, CType: typ, Kind: k})
	}
	return name, params, result, kind, nil
}

// splitDecl splits "const char *s" into the type "const char *" and the
// name "s".
func splitDecl(s string) (typ, name string, err error) {
	s = strings.TrimSpace(s)
	i := len(s)
	for i > 0 && isIdentByte(s[i-1]) {
		i--
	}
	name = s[i:]
	typ = strings.TrimSpace(s[:i])
	if !isCIdent(name) || typ == "" {
		return "", "", fmt.Errorf("want TYPE NAME")
	}
	// Normalise the spacing: "char*" and "char *" are both "char *".
	var b strings.Builder
	for _, f := range strings.Fields(strings.ReplaceAll(typ, "*", " * ")) {
		if f != "*" && !isCIdent(f) {
			return "", "", fmt.Errorf("bad type %q", typ)
		}
		if b.Len() > 0 && !(f == "*" && strings.HasSuffix(b.String(), "*")) {
			b.WriteByte(' ')
		}
		b.WriteString(f)
	}
	return b.String(), name, nil
}

func isIdentByte(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// C types by how they travel.
var (
	intTypes = map[string]bool{
		"int": true, "unsigned": true, "unsigned int": true, "signed": true, "signed int": true,
		"short": true, "unsigned short": true, "short int": true, "char": true, "signed char": true,
		"unsigned char": true, "int8_t": true, "uint8_t": true, "int16_t": true, "uint16_t": true,
		"int32_t": true, "uint32_t": true, "_Bool": true, "bool": true,
	}
	sizeTypes = map[string]bool{
		"long": true, "unsigned long": true, "long int": true, "unsigned long int": true, "signed long": true,
		"size_t": true, "ssize_t": true, "uintptr_t": true, "intptr_t": true, "ptrdiff_t": true,
	}
)

// typeKind classifies a normalised C type.
func typeKind(typ string, types map[string]Kind, isResult bool) (Kind, error) {
	if strings.Contains(typ, "*") {
		return KindPtr, nil
	}
	var words []string
	for _, f := range strings.Fields(typ) {
		if f != "const" && f != "volatile" {
			words = append(words, f)
		}
	}
	base := strings.Join(words, " ")
	switch {
	case base == "void":
		if !isResult {
			return 0, fmt.Errorf("void parameter")
		}
		return KindVoid, nil
	case intTypes[base]:
		return KindInt, nil
	case sizeTypes[base]:
		return KindSize, nil
	}
	if k, ok := types[base]; ok {
		if k == KindVoid && !isResult || k < KindPtr || k > KindVoid {
			return 0, fmt.Errorf("type %s: bad kind %d", base, k)
		}
		return k, nil
	}
	return 0, fmt.Errorf("type %q: not a pointer, int or pointer-width type; a typedef must be listed in Library.Types (64-bit and floating-point values do not fit an i386 slot)", typ)
}
