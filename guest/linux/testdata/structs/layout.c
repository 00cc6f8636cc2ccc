/*
 * The kernel's layouts of the structures in ../../linux_structs.txt, as the
 * compiler lays them out for the ABI it builds for, from the kernel's UAPI
 * headers where they export the structure and from the kernel's own
 * definitions (include/linux/compat.h, fs/readdir.c ...) restated here where
 * they do not. TestStructLayouts compares the generated constants with the
 * output, committed next to this file:
 *
 *	gcc -m32 -o /tmp/layout32 layout.c && /tmp/layout32 > layout_i386.txt
 *	gcc -m64 -o /tmp/layout64 layout.c && /tmp/layout64 > layout_amd64.txt
 *
 * Each line is "STRUCT FIELD OFFSET SIZE", FIELD "-" for the structure's
 * size, in the names of linux_structs.txt.
 */
#include <stdio.h>
#include <stddef.h>
#include <asm/ldt.h>
#include <asm/signal.h>
#include <asm/stat.h>
#include <asm/statfs.h>
#include <asm/fcntl.h>
#include <linux/futex.h>
#include <linux/resource.h>
#include <linux/sysinfo.h>
#include <linux/time.h>
#include <linux/time_types.h>
#include <linux/uio.h>
#include <linux/utsname.h>
#include <linux/in.h>

#define S(name, type) printf("%s - 0 %zu\n", name, sizeof(type))
#define F(name, field, type, member) \
	printf("%s %s %zu %zu\n", name, field, offsetof(type, member), sizeof(((type *)0)->member))

/* The kernel's struct sigaction of rt_sigaction for a compat task
 * (include/linux/compat.h: compat_uptr_t handler, compat_ulong_t flags,
 * compat_uptr_t restorer, compat_sigset_t mask of two 32-bit words). The
 * x86-64 one is <asm/signal.h>'s. */
struct compat_sigaction {
	unsigned int handler;
	unsigned int flags;
	unsigned int restorer;
	unsigned int mask[2];
};

/* fs/readdir.c. Described packed: their fixed parts end where the name
 * begins, in both ABIs; the kernel aligns every record itself. */
struct linux_dirent64 {
	unsigned long long d_ino;
	long long d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
} __attribute__((packed));

struct linux_dirent {
	unsigned long d_ino;
	unsigned long d_off;
	unsigned short d_reclen;
	char d_name[];
} __attribute__((packed));

/* arch/x86/kernel/sys_ia32.c: the old mmap's arguments. */
struct mmap_arg_struct32 {
	unsigned int addr, len, prot, flags, fd, offset;
};


/* The structures of the calls added with the socket family, select, timers
 * and times. <linux/in.h> exports the group requests (whose -m32 layout,
 * with the sockaddr_storage aligned to 4, is compat's packed(4) one); the
 * rest are restated from include/linux/socket.h, include/linux/compat.h,
 * fs/select.c and kernel/time where no UAPI header exports them. */
struct sel_arg_struct {
	unsigned long n;
	unsigned long inp, outp, exp, tvp;
};

struct sigset_argpack {
	unsigned long p;
	unsigned long size;
};

struct k_sigevent {
	union { int sival_int; void *sival_ptr; } sigev_value;
	int sigev_signo;
	int sigev_notify;
	union {
		int _pad[(64 - 2 * sizeof(int) - sizeof(void *)) / sizeof(int)];
		int _tid;
	} _sigev_un;
};

struct k_tms {
	long tms_utime, tms_stime, tms_cutime, tms_cstime;
};

struct k_utimbuf {
	long actime, modtime;
};

struct k_msghdr {
	void *msg_name;
	int msg_namelen;
	void *msg_iov;
	unsigned long msg_iovlen;
	void *msg_control;
	unsigned long msg_controllen;
	unsigned int msg_flags;
};

struct k_mmsghdr {
	struct k_msghdr msg_hdr;
	unsigned int msg_len;
};

struct k_cmsghdr {
	unsigned long cmsg_len;
	int cmsg_level;
	int cmsg_type;
};

struct k_sock_fprog {
	unsigned short len;
	void *filter;
};

int main(void)
{
	S("Timespec", struct __kernel_old_timespec);
	F("Timespec", "sec", struct __kernel_old_timespec, tv_sec);
	F("Timespec", "nsec", struct __kernel_old_timespec, tv_nsec);

	S("Timeval", struct __kernel_old_timeval);
	F("Timeval", "sec", struct __kernel_old_timeval, tv_sec);
	F("Timeval", "usec", struct __kernel_old_timeval, tv_usec);

	S("Timespec64", struct __kernel_timespec);
	F("Timespec64", "sec", struct __kernel_timespec, tv_sec);
	F("Timespec64", "nsec", struct __kernel_timespec, tv_nsec);

	S("Itimerval", struct __kernel_old_itimerval);
	F("Itimerval", "interval", struct __kernel_old_itimerval, it_interval);
	F("Itimerval", "value", struct __kernel_old_itimerval, it_value);

	S("Itimerspec", struct itimerspec);
	F("Itimerspec", "interval", struct itimerspec, it_interval);
	F("Itimerspec", "value", struct itimerspec, it_value);

	S("Rlimit", struct rlimit);
	F("Rlimit", "cur", struct rlimit, rlim_cur);
	F("Rlimit", "max", struct rlimit, rlim_max);

	S("Rlimit64", struct rlimit64);
	F("Rlimit64", "cur", struct rlimit64, rlim_cur);
	F("Rlimit64", "max", struct rlimit64, rlim_max);

#ifdef __i386__
	S("Sigaction", struct compat_sigaction);
	F("Sigaction", "handler", struct compat_sigaction, handler);
	F("Sigaction", "flags", struct compat_sigaction, flags);
	F("Sigaction", "restorer", struct compat_sigaction, restorer);
	F("Sigaction", "mask", struct compat_sigaction, mask);

	/* <asm/signal.h>'s i386 struct sigaction is the old one. */
	S("OldSigaction", struct sigaction);
	F("OldSigaction", "handler", struct sigaction, _u._sa_handler);
	F("OldSigaction", "mask", struct sigaction, sa_mask);
	F("OldSigaction", "flags", struct sigaction, sa_flags);
	F("OldSigaction", "restorer", struct sigaction, sa_restorer);
#else
	S("Sigaction", struct sigaction);
	F("Sigaction", "handler", struct sigaction, sa_handler);
	F("Sigaction", "flags", struct sigaction, sa_flags);
	F("Sigaction", "restorer", struct sigaction, sa_restorer);
	F("Sigaction", "mask", struct sigaction, sa_mask);
#endif

	S("Stack", stack_t);
	F("Stack", "sp", stack_t, ss_sp);
	F("Stack", "flags", stack_t, ss_flags);
	F("Stack", "size", stack_t, ss_size);

	S("Iovec", struct iovec);
	F("Iovec", "base", struct iovec, iov_base);
	F("Iovec", "len", struct iovec, iov_len);

	S("Flock", struct flock);
	F("Flock", "type", struct flock, l_type);
	F("Flock", "whence", struct flock, l_whence);
	F("Flock", "start", struct flock, l_start);
	F("Flock", "len", struct flock, l_len);
	F("Flock", "pid", struct flock, l_pid);

#ifdef __i386__
	S("Flock64", struct flock64);
	F("Flock64", "type", struct flock64, l_type);
	F("Flock64", "whence", struct flock64, l_whence);
	F("Flock64", "start", struct flock64, l_start);
	F("Flock64", "len", struct flock64, l_len);
	F("Flock64", "pid", struct flock64, l_pid);
#endif

	S("UserDesc", struct user_desc);
	F("UserDesc", "entry_number", struct user_desc, entry_number);
	F("UserDesc", "base_addr", struct user_desc, base_addr);
	F("UserDesc", "limit", struct user_desc, limit);
	/* The bitfields share the word after limit. */
	printf("UserDesc flags %zu %zu\n", offsetof(struct user_desc, limit) + 4,
	       sizeof(struct user_desc) - offsetof(struct user_desc, limit) - 4);

	S("Utsname", struct new_utsname);
	F("Utsname", "sysname", struct new_utsname, sysname);
	F("Utsname", "nodename", struct new_utsname, nodename);
	F("Utsname", "release", struct new_utsname, release);
	F("Utsname", "version", struct new_utsname, version);
	F("Utsname", "machine", struct new_utsname, machine);
	F("Utsname", "domainname", struct new_utsname, domainname);

	S("RobustListHead", struct robust_list_head);
	F("RobustListHead", "next", struct robust_list_head, list.next);
	F("RobustListHead", "futex_offset", struct robust_list_head, futex_offset);
	F("RobustListHead", "list_op_pending", struct robust_list_head, list_op_pending);

	S("Stat", struct stat);
	F("Stat", "dev", struct stat, st_dev);
	F("Stat", "ino", struct stat, st_ino);
	F("Stat", "nlink", struct stat, st_nlink);
	F("Stat", "mode", struct stat, st_mode);
	F("Stat", "uid", struct stat, st_uid);
	F("Stat", "gid", struct stat, st_gid);
	F("Stat", "rdev", struct stat, st_rdev);
	F("Stat", "size", struct stat, st_size);
	F("Stat", "blksize", struct stat, st_blksize);
	F("Stat", "blocks", struct stat, st_blocks);
	F("Stat", "atime", struct stat, st_atime);
	F("Stat", "atime_nsec", struct stat, st_atime_nsec);
	F("Stat", "mtime", struct stat, st_mtime);
	F("Stat", "mtime_nsec", struct stat, st_mtime_nsec);
	F("Stat", "ctime", struct stat, st_ctime);
	F("Stat", "ctime_nsec", struct stat, st_ctime_nsec);

#ifdef __i386__
	S("Stat64", struct stat64);
	F("Stat64", "dev", struct stat64, st_dev);
	F("Stat64", "ino32", struct stat64, __st_ino);
	F("Stat64", "mode", struct stat64, st_mode);
	F("Stat64", "nlink", struct stat64, st_nlink);
	F("Stat64", "uid", struct stat64, st_uid);
	F("Stat64", "gid", struct stat64, st_gid);
	F("Stat64", "rdev", struct stat64, st_rdev);
	F("Stat64", "size", struct stat64, st_size);
	F("Stat64", "blksize", struct stat64, st_blksize);
	F("Stat64", "blocks", struct stat64, st_blocks);
	F("Stat64", "atime", struct stat64, st_atime);
	F("Stat64", "atime_nsec", struct stat64, st_atime_nsec);
	F("Stat64", "mtime", struct stat64, st_mtime);
	F("Stat64", "mtime_nsec", struct stat64, st_mtime_nsec);
	F("Stat64", "ctime", struct stat64, st_ctime);
	F("Stat64", "ctime_nsec", struct stat64, st_ctime_nsec);
	F("Stat64", "ino", struct stat64, st_ino);
#endif

	S("Statfs", struct statfs);
	F("Statfs", "type", struct statfs, f_type);
	F("Statfs", "bsize", struct statfs, f_bsize);
	F("Statfs", "blocks", struct statfs, f_blocks);
	F("Statfs", "bfree", struct statfs, f_bfree);
	F("Statfs", "bavail", struct statfs, f_bavail);
	F("Statfs", "files", struct statfs, f_files);
	F("Statfs", "ffree", struct statfs, f_ffree);
	F("Statfs", "fsid", struct statfs, f_fsid);
	F("Statfs", "namelen", struct statfs, f_namelen);
	F("Statfs", "frsize", struct statfs, f_frsize);
	F("Statfs", "flags", struct statfs, f_flags);

	S("Statfs64", struct statfs64);
	F("Statfs64", "type", struct statfs64, f_type);
	F("Statfs64", "bsize", struct statfs64, f_bsize);
	F("Statfs64", "blocks", struct statfs64, f_blocks);
	F("Statfs64", "bfree", struct statfs64, f_bfree);
	F("Statfs64", "bavail", struct statfs64, f_bavail);
	F("Statfs64", "files", struct statfs64, f_files);
	F("Statfs64", "ffree", struct statfs64, f_ffree);
	F("Statfs64", "fsid", struct statfs64, f_fsid);
	F("Statfs64", "namelen", struct statfs64, f_namelen);
	F("Statfs64", "frsize", struct statfs64, f_frsize);
	F("Statfs64", "flags", struct statfs64, f_flags);

	S("Sysinfo", struct sysinfo);
	F("Sysinfo", "uptime", struct sysinfo, uptime);
	F("Sysinfo", "loads", struct sysinfo, loads);
	F("Sysinfo", "totalram", struct sysinfo, totalram);
	F("Sysinfo", "freeram", struct sysinfo, freeram);
	F("Sysinfo", "sharedram", struct sysinfo, sharedram);
	F("Sysinfo", "bufferram", struct sysinfo, bufferram);
	F("Sysinfo", "totalswap", struct sysinfo, totalswap);
	F("Sysinfo", "freeswap", struct sysinfo, freeswap);
	F("Sysinfo", "procs", struct sysinfo, procs);
	F("Sysinfo", "totalhigh", struct sysinfo, totalhigh);
	F("Sysinfo", "freehigh", struct sysinfo, freehigh);
	F("Sysinfo", "mem_unit", struct sysinfo, mem_unit);

	S("Rusage", struct rusage);
	F("Rusage", "utime", struct rusage, ru_utime);
	F("Rusage", "stime", struct rusage, ru_stime);
	F("Rusage", "maxrss", struct rusage, ru_maxrss);
	F("Rusage", "ixrss", struct rusage, ru_ixrss);
	F("Rusage", "idrss", struct rusage, ru_idrss);
	F("Rusage", "isrss", struct rusage, ru_isrss);
	F("Rusage", "minflt", struct rusage, ru_minflt);
	F("Rusage", "majflt", struct rusage, ru_majflt);
	F("Rusage", "nswap", struct rusage, ru_nswap);
	F("Rusage", "inblock", struct rusage, ru_inblock);
	F("Rusage", "oublock", struct rusage, ru_oublock);
	F("Rusage", "msgsnd", struct rusage, ru_msgsnd);
	F("Rusage", "msgrcv", struct rusage, ru_msgrcv);
	F("Rusage", "nsignals", struct rusage, ru_nsignals);
	F("Rusage", "nvcsw", struct rusage, ru_nvcsw);
	F("Rusage", "nivcsw", struct rusage, ru_nivcsw);

	S("Dirent64", struct linux_dirent64);
	F("Dirent64", "ino", struct linux_dirent64, d_ino);
	F("Dirent64", "off", struct linux_dirent64, d_off);
	F("Dirent64", "reclen", struct linux_dirent64, d_reclen);
	F("Dirent64", "type", struct linux_dirent64, d_type);
	printf("Dirent64 name %zu 0\n", offsetof(struct linux_dirent64, d_name));

	S("Dirent", struct linux_dirent);
	F("Dirent", "ino", struct linux_dirent, d_ino);
	F("Dirent", "off", struct linux_dirent, d_off);
	F("Dirent", "reclen", struct linux_dirent, d_reclen);
	printf("Dirent name %zu 0\n", offsetof(struct linux_dirent, d_name));

#ifdef __i386__
	S("MmapArgs", struct mmap_arg_struct32);
	F("MmapArgs", "addr", struct mmap_arg_struct32, addr);
	F("MmapArgs", "len", struct mmap_arg_struct32, len);
	F("MmapArgs", "prot", struct mmap_arg_struct32, prot);
	F("MmapArgs", "flags", struct mmap_arg_struct32, flags);
	F("MmapArgs", "fd", struct mmap_arg_struct32, fd);
	F("MmapArgs", "offset", struct mmap_arg_struct32, offset);
#endif
#ifdef __i386__
	S("SelArg", struct sel_arg_struct);
	F("SelArg", "n", struct sel_arg_struct, n);
	F("SelArg", "inp", struct sel_arg_struct, inp);
	F("SelArg", "outp", struct sel_arg_struct, outp);
	F("SelArg", "exp", struct sel_arg_struct, exp);
	F("SelArg", "tvp", struct sel_arg_struct, tvp);
#endif

	S("SigsetArg", struct sigset_argpack);
	F("SigsetArg", "ss", struct sigset_argpack, p);
	F("SigsetArg", "len", struct sigset_argpack, size);

	S("Sigevent", struct k_sigevent);
	F("Sigevent", "value", struct k_sigevent, sigev_value);
	F("Sigevent", "signo", struct k_sigevent, sigev_signo);
	F("Sigevent", "notify", struct k_sigevent, sigev_notify);
	F("Sigevent", "tid", struct k_sigevent, _sigev_un._tid);

	S("Tms", struct k_tms);
	F("Tms", "utime", struct k_tms, tms_utime);
	F("Tms", "stime", struct k_tms, tms_stime);
	F("Tms", "cutime", struct k_tms, tms_cutime);
	F("Tms", "cstime", struct k_tms, tms_cstime);

	S("Utimbuf", struct k_utimbuf);
	F("Utimbuf", "actime", struct k_utimbuf, actime);
	F("Utimbuf", "modtime", struct k_utimbuf, modtime);

	S("Msghdr", struct k_msghdr);
	F("Msghdr", "name", struct k_msghdr, msg_name);
	F("Msghdr", "namelen", struct k_msghdr, msg_namelen);
	F("Msghdr", "iov", struct k_msghdr, msg_iov);
	F("Msghdr", "iovlen", struct k_msghdr, msg_iovlen);
	F("Msghdr", "control", struct k_msghdr, msg_control);
	F("Msghdr", "controllen", struct k_msghdr, msg_controllen);
	F("Msghdr", "flags", struct k_msghdr, msg_flags);

	S("Mmsghdr", struct k_mmsghdr);
	F("Mmsghdr", "hdr", struct k_mmsghdr, msg_hdr);
	F("Mmsghdr", "len", struct k_mmsghdr, msg_len);

	S("Cmsghdr", struct k_cmsghdr);
	F("Cmsghdr", "len", struct k_cmsghdr, cmsg_len);
	F("Cmsghdr", "level", struct k_cmsghdr, cmsg_level);
	F("Cmsghdr", "type", struct k_cmsghdr, cmsg_type);

	S("SockFprog", struct k_sock_fprog);
	F("SockFprog", "len", struct k_sock_fprog, len);
	F("SockFprog", "filter", struct k_sock_fprog, filter);

	S("GroupReq", struct group_req);
	F("GroupReq", "interface", struct group_req, gr_interface);
	F("GroupReq", "group", struct group_req, gr_group);

	S("GroupSourceReq", struct group_source_req);
	F("GroupSourceReq", "interface", struct group_source_req, gsr_interface);
	F("GroupSourceReq", "group", struct group_source_req, gsr_group);
	F("GroupSourceReq", "source", struct group_source_req, gsr_source);
	return 0;
}
