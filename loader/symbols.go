package loader

import (
	"debug/elf"
	"errors"
	"fmt"
	"sort"
)

// Symbols names guest addresses from an executable's symbol table, for
// minemu's own reports (a guest's death, an unknown thunk stub). A stripped
// executable gives an empty table, not an error. A Symbols is immutable.
type Symbols struct {
	// syms is sorted by addr; sizes are as the table gives them (0 for a
	// symbol that only labels its address).
	syms []symbol
}

type symbol struct {
	addr, size uint64
	name       string
}

// ReadSymbols reads the .symtab of the executable at path, relocating
// every value by bias (the load bias of an ET_DYN image, 0 for ET_EXEC).
// Only function, object and untyped symbols with a name are kept.
func ReadSymbols(path string, bias uint64) (s *Symbols, err error) {
	f, err := elf.Open(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	defer f.Close()
	// debug/elf trusts the section headers it reads; a crafted table must
	// cost the report, not minemu.
	defer func() {
		if r := recover(); r != nil {
			s, err = nil, fmt.Errorf("%s: malformed symbol table: %v", path, r)
		}
	}()
	raw, err := f.Symbols()
	if errors.Is(err, elf.ErrNoSymbols) {
		return &Symbols{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	s = &Symbols{}
	for _, e := range raw {
		switch elf.ST_TYPE(e.Info) {
		case elf.STT_FUNC, elf.STT_OBJECT, elf.STT_NOTYPE:
		default:
			continue
		}
		if e.Name == "" || e.Section == elf.SHN_UNDEF || e.Section == elf.SHN_ABS {
			continue
		}
		s.syms = append(s.syms, symbol{addr: e.Value + bias, size: e.Size, name: e.Name})
	}
	sort.SliceStable(s.syms, func(i, j int) bool { return s.syms[i].addr < s.syms[j].addr })
	return s, nil
}

// Lookup returns the symbol that covers addr and addr's offset in it: the
// nearest symbol at or below addr whose size reaches addr, or one of size 0
// exactly at addr. ok is false when no symbol covers addr. name is the
// file's bytes as they are; a report prints it through Printable.
func (s *Symbols) Lookup(addr uint64) (name string, off uint64, ok bool) {
	if s == nil {
		return "", 0, false
	}
	i := sort.Search(len(s.syms), func(i int) bool { return s.syms[i].addr > addr })
	for j := i - 1; j >= 0; j-- {
		e := s.syms[j]
		if off := addr - e.addr; off < e.size || (e.size == 0 && off == 0) {
			return e.name, off, true
		}
		if e.size != 0 {
			break // the nearest sized symbol below addr ends before it
		}
	}
	return "", 0, false
}
