org 0x10000000
%include "prog64.asm"
