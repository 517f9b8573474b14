// Calls getppid N times (default 1,000,000) through Go's syscall package, once with
// syscall.Getppid and once with syscall.RawSyscall, and prints the nanoseconds per call of
// each, for comparing the trap and rewritten syscall paths with native.
package main

import (
	"fmt"
	"os"
	"strconv"
	"syscall"
	"time"
)

func main() {
	calls := 1000000
	if len(os.Args) > 1 {
		n, err := strconv.Atoi(os.Args[1])
		if err != nil || n <= 0 {
			fmt.Fprintln(os.Stderr, "usage: getppid [CALLS]")
			os.Exit(2)
		}
		calls = n
	}
	ppid := syscall.Getppid()
	measure("syscall.Getppid", calls, func() int { return syscall.Getppid() }, ppid)
	measure("syscall.RawSyscall", calls, func() int {
		r, _, _ := syscall.RawSyscall(syscall.SYS_GETPPID, 0, 0, 0)
		return int(r)
	}, ppid)
}

func measure(name string, calls int, getppid func() int, want int) {
	start := time.Now()
	for i := 0; i < calls; i++ {
		if getppid() != want {
			fmt.Fprintln(os.Stderr, "getppid changed")
			os.Exit(1)
		}
	}
	elapsed := time.Since(start)
	fmt.Printf("%s: %d calls, %.1f ns per call\n", name, calls,
		float64(elapsed.Nanoseconds())/float64(calls))
}
