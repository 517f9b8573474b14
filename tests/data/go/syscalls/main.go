// Calls through the Go runtime's generic syscall site (syscall.Syscall, RawSyscall and
// Syscall6, whose number arrives in a register): many fast ones, a blocking read that is in
// progress while other threads use the same site, errors, a call the library OS never takes
// on its fast path (sigaltstack), and calls from goroutines on several threads while the
// runtime preempts them. Prints one line per behaviour.
package main

import (
	"fmt"
	"os"
	"runtime"
	"sync"
	"syscall"
	"time"
	"unsafe"
)

const calls = 200000

// A blocking read through syscall.Syscall on a thread of its own, started before anything else
// uses the site, and released only after many other calls went through it.
func blockingRead(fd int, got chan<- string) {
	runtime.LockOSThread()
	buf := make([]byte, 64)
	n, _, errno := syscall.Syscall(syscall.SYS_READ, uintptr(fd),
		uintptr(unsafe.Pointer(&buf[0])), uintptr(len(buf)))
	if errno != 0 {
		got <- "error " + errno.Error()
		return
	}
	got <- string(buf[:n])
}

func main() {
	var p [2]int
	if err := syscall.Pipe(p[:]); err != nil {
		fmt.Println("pipe:", err)
		os.Exit(1)
	}
	got := make(chan string)
	go blockingRead(p[0], got)
	time.Sleep(20 * time.Millisecond)

	ppid := syscall.Getppid()
	wrong := 0
	for i := 0; i < calls; i++ {
		r, _, errno := syscall.RawSyscall(syscall.SYS_GETPPID, 0, 0, 0)
		if int(r) != ppid || errno != 0 {
			wrong++
		}
	}
	fmt.Printf("getppid through RawSyscall %d times: %d wrong\n", calls, wrong)

	msg := []byte("released after the other calls")
	n, _, errno := syscall.Syscall(syscall.SYS_WRITE, uintptr(p[1]),
		uintptr(unsafe.Pointer(&msg[0])), uintptr(len(msg)))
	fmt.Printf("write to the pipe: %d %v\n", n, errno == 0)
	fmt.Printf("the blocked read got: %q\n", <-got)

	_, _, errno = syscall.Syscall(syscall.SYS_CLOSE, 9999, 0, 0)
	fmt.Printf("close(9999): %v\n", errno)
	_, _, errno = syscall.Syscall6(syscall.SYS_PREAD64, uintptr(p[1]), 0, 0, 0, 0, 0)
	fmt.Printf("pread64 on a pipe's write end: %v\n", errno)
	_, _, errno = syscall.Syscall6(syscall.SYS_PWRITE64, uintptr(p[0]), 0, 0, 0, 0, 0)
	fmt.Printf("pwrite64 on a pipe's read end: %v\n", errno)
	_, _, errno = syscall.RawSyscall(syscall.SYS_GETPPID+100000, 0, 0, 0)
	fmt.Printf("an unknown number: %v\n", errno)

	var old [24]byte
	_, _, errno = syscall.RawSyscall(syscall.SYS_SIGALTSTACK, 0, uintptr(unsafe.Pointer(&old[0])), 0)
	fmt.Printf("sigaltstack through the generic site: ok %v, flags %d\n", errno == 0,
		*(*int32)(unsafe.Pointer(&old[8]))&^2)

	runtime.GOMAXPROCS(4)
	var wg sync.WaitGroup
	var mu sync.Mutex
	total := 0
	pid := os.Getpid()
	for g := 0; g < 16; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			mine := 0
			for i := 0; i < 5000; i++ {
				if got, _, _ := syscall.Syscall(syscall.SYS_GETPID, 0, 0, 0); int(got) == pid {
					mine++
				}
				if i%1000 == 0 {
					runtime.Gosched()
				}
			}
			mu.Lock()
			total += mine
			mu.Unlock()
		}()
	}
	wg.Wait()
	fmt.Printf("getpid from 16 goroutines on 4 threads: %d right of %d\n", total, 16*5000)
}
