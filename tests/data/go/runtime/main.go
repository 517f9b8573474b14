// Exercises what the Go runtime needs from the system under it: threads, signals, timers,
// files, processes, pipes, a large heap and sockets. Each step prints one line that is the
// same on every correct run, so a native run and a run under Kernite can be compared.
package main

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

func check(step string, err error) {
	if err != nil {
		fmt.Printf("%s: FAILED: %v\n", step, err)
		os.Exit(1)
	}
}

// Goroutines spread over OS threads, talking over channels, guarded by a mutex.
func goroutines() {
	const workers, jobs = 64, 2000
	in := make(chan int)
	out := make(chan int, workers)
	var wg sync.WaitGroup
	var mu sync.Mutex
	seen := make(map[int]bool)

	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sum := 0
			for n := range in {
				mu.Lock()
				seen[n] = true
				mu.Unlock()
				sum += n * n
			}
			out <- sum
		}()
	}
	for n := 0; n < jobs; n++ {
		in <- n
	}
	close(in)
	wg.Wait()
	close(out)
	total := 0
	for s := range out {
		total += s
	}
	fmt.Printf("goroutines: %d workers, %d distinct jobs, sum of squares %d\n",
		workers, len(seen), total)
}

// Threads really run in parallel: with GOMAXPROCS goroutines locked to their own threads,
// each one sees a distinct thread id.
func threads() {
	n := runtime.GOMAXPROCS(0)
	ids := make(chan int, n)
	var ready sync.WaitGroup
	release := make(chan struct{})
	for i := 0; i < n; i++ {
		ready.Add(1)
		go func() {
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			ids <- syscall.Gettid()
			ready.Done()
			<-release
		}()
	}
	ready.Wait()
	close(release)
	distinct := make(map[int]bool)
	for i := 0; i < n; i++ {
		distinct[<-ids] = true
	}
	fmt.Printf("threads: NumCPU %d, GOMAXPROCS %d, %d distinct thread ids\n",
		runtime.NumCPU(), n, len(distinct))
}

// Timers and sleeps end neither early nor absurdly late.
func timers() {
	start := time.Now()
	time.Sleep(20 * time.Millisecond)
	slept := time.Since(start)

	fired := make(chan int, 3)
	for i, d := range []time.Duration{30, 10, 20} {
		i := i
		time.AfterFunc(d*time.Millisecond, func() { fired <- i })
	}
	order := []int{<-fired, <-fired, <-fired}

	ticker := time.NewTicker(5 * time.Millisecond)
	ticks := 0
	for range ticker.C {
		ticks++
		if ticks == 4 {
			break
		}
	}
	ticker.Stop()

	select {
	case <-time.After(10 * time.Millisecond):
		fmt.Printf("timers: slept at least 20ms: %v, fired in order %v, %d ticks, timeout seen\n",
			slept >= 20*time.Millisecond && slept < 5*time.Second, order, ticks)
	case <-make(chan int):
	}
}

// A goroutine in a loop with no function calls is preempted by a signal (SIGURG) from the
// runtime, so another goroutine on the same single P gets to run.
func preemption() {
	prev := runtime.GOMAXPROCS(1)
	var stop int32
	done := make(chan uint64)
	go func() {
		var spins uint64
		for atomic.LoadInt32(&stop) == 0 {
			spins++
		}
		done <- spins
	}()
	runtime.Gosched()
	time.Sleep(50 * time.Millisecond)
	atomic.StoreInt32(&stop, 1)
	spins := <-done
	runtime.GOMAXPROCS(prev)
	fmt.Printf("preemption: busy loop preempted, main goroutine ran again: %v\n", spins > 0)
}

// os/signal catches a signal the process sends itself, and an ignored one does no harm.
func signals() {
	caught := make(chan os.Signal, 1)
	signal.Notify(caught, syscall.SIGUSR1)
	check("signals: kill", syscall.Kill(os.Getpid(), syscall.SIGUSR1))
	select {
	case s := <-caught:
		fmt.Printf("signals: caught %v\n", s)
	case <-time.After(5 * time.Second):
		fmt.Printf("signals: SIGUSR1 not delivered\n")
	}
	signal.Stop(caught)

	signal.Ignore(syscall.SIGUSR2)
	check("signals: kill SIGUSR2", syscall.Kill(os.Getpid(), syscall.SIGUSR2))
	time.Sleep(10 * time.Millisecond)
	fmt.Printf("signals: ignored SIGUSR2, still running\n")
}

// Create, write, read back, stat, rename, readdir and remove files in a fresh directory.
func files(dir string) {
	root := filepath.Join(dir, "gofiles")
	check("files: mkdir", os.MkdirAll(filepath.Join(root, "sub"), 0o755))
	names := []string{"b.txt", "a.txt", "c.bin"}
	for i, name := range names {
		data := strings.Repeat(fmt.Sprintf("%s line %d\n", name, i), 100*(i+1))
		check("files: write", os.WriteFile(filepath.Join(root, name), []byte(data), 0o640))
	}

	f, err := os.OpenFile(filepath.Join(root, "a.txt"), os.O_APPEND|os.O_WRONLY, 0)
	check("files: open for append", err)
	_, err = f.WriteString("appended\n")
	check("files: append", err)
	check("files: close", f.Close())

	data, err := os.ReadFile(filepath.Join(root, "a.txt"))
	check("files: read", err)
	lines := strings.Count(string(data), "\n")
	last := strings.TrimSpace(string(data[strings.LastIndex(string(data[:len(data)-1]), "\n")+1:]))

	st, err := os.Stat(filepath.Join(root, "c.bin"))
	check("files: stat", err)
	check("files: rename", os.Rename(filepath.Join(root, "b.txt"), filepath.Join(root, "sub", "b2.txt")))

	entries, err := os.ReadDir(root)
	check("files: readdir", err)
	var listed []string
	for _, e := range entries {
		kind := "file"
		if e.IsDir() {
			kind = "dir"
		}
		listed = append(listed, e.Name()+":"+kind)
	}

	var walked []string
	check("files: walk", filepath.Walk(root, func(path string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		if info.IsDir() {
			walked = append(walked, rel+"/")
		} else {
			walked = append(walked, fmt.Sprintf("%s=%d", rel, info.Size()))
		}
		return nil
	}))
	sort.Strings(walked)

	_, err = os.Stat(filepath.Join(root, "missing"))
	check("files: remove", os.RemoveAll(root))
	_, gone := os.Stat(root)
	fmt.Printf("files: a.txt %d lines ending %q, c.bin %d bytes mode %v, dir %v, walk %v, "+
		"missing is not-exist: %v, removed: %v\n", lines, last, st.Size(), st.Mode(), listed,
		walked, os.IsNotExist(err), os.IsNotExist(gone))
}

// Start programs: one that exists and succeeds, one that fails, one that does not exist,
// and one whose output comes back through a pipe.
func processes() {
	errTrue := exec.Command("/bin/true").Run()
	errFalse := exec.Command("/bin/false").Run()
	exitFalse := -1
	if ee, ok := errFalse.(*exec.ExitError); ok {
		exitFalse = ee.ExitCode()
	}
	errMissing := exec.Command("/nonexistent/program").Run()

	out, err := exec.Command("/bin/sh", "-c", "echo from child; echo $((6 * 7))").Output()
	check("processes: sh", err)
	fmt.Printf("processes: true %v, false exit %d, missing not-exist: %v, sh said %q\n",
		errTrue, exitFalse, os.IsNotExist(errMissing), string(out))
}

// A pipe between two goroutines carries 1 MiB intact.
func pipes() {
	r, w, err := os.Pipe()
	check("pipe", err)
	const size = 1 << 20
	go func() {
		buf := make([]byte, 4096)
		for i := range buf {
			buf[i] = byte(i * 7)
		}
		for sent := 0; sent < size; sent += len(buf) {
			if _, err := w.Write(buf); err != nil {
				break
			}
		}
		w.Close()
	}()
	var sum uint64
	n := 0
	br := bufio.NewReader(r)
	for {
		b, err := br.ReadByte()
		if err == io.EOF {
			break
		}
		check("pipe: read", err)
		sum += uint64(b)
		n++
	}
	r.Close()
	fmt.Printf("pipe: %d bytes, byte sum %d\n", n, sum)
}

// A few hundred MB allocated and dropped, with collections in between; memory comes back.
func heap() {
	const chunk = 4 << 20
	var kept [][]byte
	var total uint64
	for i := 0; i < 75; i++ {
		b := make([]byte, chunk)
		for j := 0; j < len(b); j += 4096 {
			b[j] = byte(i)
		}
		total += uint64(len(b))
		kept = append(kept, b)
		if i%25 == 24 {
			runtime.GC()
		}
	}
	sum := 0
	for i, b := range kept {
		sum += int(b[4096*(i%8)])
	}
	kept = nil
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	fmt.Printf("heap: allocated %d MB, checksum %d, live after GC below 64 MB: %v, GCs >= 4: %v\n",
		total>>20, sum, ms.HeapAlloc < 64<<20, ms.NumGC >= 4)
}

// A TCP echo server on 127.0.0.1 serving several clients at once.
func tcpEcho() {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	check("tcp: listen", err)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				io.Copy(c, c)
				c.Close()
			}()
		}
	}()

	const clients = 8
	var wg sync.WaitGroup
	results := make([]string, clients)
	for i := 0; i < clients; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			c, err := net.DialTimeout("tcp", ln.Addr().String(), 5*time.Second)
			if err != nil {
				results[i] = "dial: " + err.Error()
				return
			}
			defer c.Close()
			c.SetDeadline(time.Now().Add(10 * time.Second))
			msg := strings.Repeat(fmt.Sprintf("client %d ", i), 1000)
			go c.Write([]byte(msg))
			got := make([]byte, len(msg))
			if _, err := io.ReadFull(c, got); err != nil {
				results[i] = "read: " + err.Error()
				return
			}
			results[i] = fmt.Sprintf("%v", string(got) == msg)
		}(i)
	}
	wg.Wait()
	ln.Close()
	fmt.Printf("tcp: %d clients echoed intact: %v\n", clients, results)
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: goruntime SCRATCH-DIR")
		os.Exit(2)
	}
	runtime.GOMAXPROCS(4)
	goroutines()
	threads()
	timers()
	preemption()
	signals()
	files(os.Args[1])
	processes()
	pipes()
	heap()
	tcpEcho()
	fmt.Println("done")
}
