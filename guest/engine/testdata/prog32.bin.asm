org 0x10000000
%include "prog32.asm"
