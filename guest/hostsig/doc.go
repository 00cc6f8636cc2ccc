// Package hostsig is minemu's host-signal foundation (essay to come).
package hostsig
