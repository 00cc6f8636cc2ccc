package loader

import (
	"strconv"
	"unicode/utf8"
)

// Printable returns a string read from an ELF file (the PT_INTERP path, a
// symbol name) as minemu may write it to a terminal: s itself when it is
// non-empty valid UTF-8 of printable characters other than space, '"'
// and '\\' (every real interpreter path and symbol name), otherwise s as a
// quoted Go string literal (strconv.Quote), in which escape sequences,
// newlines, other control bytes and invalid UTF-8 appear escaped. The file
// is the guest's, not minemu's: its bytes must not move the user's cursor,
// recolour the terminal or forge lines of minemu's own output. Only a
// quoted string begins with '"', so the two forms cannot be confused.
func Printable(s string) string {
	if s == "" || !utf8.ValidString(s) {
		return strconv.Quote(s)
	}
	for _, r := range s {
		if r == ' ' || r == '"' || r == '\\' || !strconv.IsPrint(r) {
			return strconv.Quote(s)
		}
	}
	return s
}
