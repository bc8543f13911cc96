//go:build linux || darwin || freebsd || netbsd || openbsd

package server

import (
	"crypto/tls"
	"errors"
	"net"
	"syscall"

	"golang.org/x/sys/unix"
)

// clientGone tells whether the client of a connection has hung up: a peek
// at the socket that does not wait and takes nothing from it (a request
// sent behind this one stays for the server to read). End of stream or a
// reset means gone; nothing to read yet, or data, means still there.
func clientGone(conn net.Conn) func() bool {
	if tc, ok := conn.(*tls.Conn); ok {
		conn = tc.NetConn()
	}
	sc, ok := conn.(syscall.Conn)
	if !ok {
		return nil
	}
	return func() bool {
		raw, err := sc.SyscallConn()
		if err != nil {
			return true
		}
		gone := false
		_ = raw.Read(func(fd uintptr) bool {
			var b [1]byte
			n, _, err := unix.Recvfrom(int(fd), b[:], unix.MSG_PEEK|unix.MSG_DONTWAIT)
			gone = (n == 0 && err == nil) || errors.Is(err, unix.ECONNRESET)
			return true // never wait for data
		})
		return gone
	}
}
