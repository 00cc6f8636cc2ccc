// Memory layouts shared by hostsig_amd64.s and the Go side (block_unsafe.go).
// TestLayout compares every value here with unsafe.Offsetof/Sizeof of the Go
// structs through asmLayout, so a change on one side only fails the test.

// Thread context block (type block). GS base of a registered thread.
#define BLK_SELF 0
#define BLK_MAGIC 8
#define BLK_TID 16
#define BLK_PENDING 20
#define BLK_EXITREQ 24
#define BLK_WINDOWHITS 28
#define BLK_EXITSP 32
#define BLK_FAULTSEQ 64
#define BLK_FAULTPC 72
#define BLK_FAULTINFO 80
#define BLK_FAULTREGS 208
#define BLK_SET 512

// Value of BLK_MAGIC while the block is registered: "minemuSG".
#define BLK_MAGIC_VALUE $0x4753756d656e696d

// Pending set (type pendingSet).
#define SET_MASK 0
#define SET_DROPPED 8
#define SET_COALESCED 16
#define SET_RINGS 64

// One ring per signal (type sigRing), RING_LEN entries (type sigEntry).
#define RING_HEAD 0
#define RING_TAIL 8
#define RING_ENTRIES 16
#define RING_SIZE 1168
#define RING_LEN 8
#define ENTRY_SEQ 0
#define ENTRY_TID 8
#define ENTRY_INFO 16
#define ENTRY_SIZE 144

// Registered generated-code ranges (type codeRange): start, end, faultExit.
#define RANGE_SIZE 24
#define MAX_RANGES 16

// Handler statistics (type handlerStats), LOCK INCQ'd by the handler.
#define STAT_REDIRECT 0
#define STAT_REWIND 8
#define STAT_RECORDED 16
#define STAT_FORWARDED 24
#define STAT_GOOWNED 32
