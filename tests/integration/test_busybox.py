"""Debian's static busybox shell under Kernite, compared with the same script run natively.

The scripts use only shell builtins: starting other processes is not part of single-process
support.
"""

BUSYBOX = "/usr/bin/busybox"


def sh(compare, script, **kw):
    return compare(BUSYBOX, ["sh", "-c", script], **kw)


def test_sh_builtins_echo_printf_test_and_arithmetic(compare):
    sh(compare, r'''
        x=6; y=$((x * 7 - 2))
        echo "x=$x y=$y"
        printf '%05d|%-6s|%x|%s\n' 42 abc 255 "two words"
        [ "$y" -gt 30 ] && echo big || echo small
        test -z "" && echo empty-string
        case "$x" in 5) echo five ;; 6) echo six ;; *) echo other ;; esac
        set -- alpha beta gamma
        echo "$# args, second is $2, all: $*"
        unset x; echo "x is now '${x:-unset}'"
        echo "${#y} digits"
    ''')


def test_sh_loops_and_functions(compare):
    sh(compare, r'''
        fib() { a=0; b=1; i=0; while [ $i -lt $1 ]; do t=$((a + b)); a=$b; b=$t; i=$((i + 1)); done; echo $a; }
        for n in 1 2 3 10 20 30; do printf 'fib(%d)=' $n; fib $n; done
        total=0; i=1
        while [ $i -le 1000 ]; do total=$((total + i * i)); i=$((i + 1)); done
        echo "sum of squares: $total"
        for word in one two three; do
            case $word in t*) continue ;; esac
            echo "kept $word"
        done
        n=0; until [ $n -ge 5 ]; do n=$((n + 1)); done; echo "until stopped at $n"
    ''')


def test_sh_redirections_write_files(compare):
    sh(compare, r'''
        echo first > out.txt
        echo second >> out.txt
        printf 'line %d\n' 1 2 3 >> out.txt
        exec 3> fd3.txt; echo "via fd 3" >&3; exec 3>&-
        echo "to stderr" 2> err.txt >&2
        : > empty.txt
        while read -r line; do echo "read: $line"; done < out.txt
        read -r first_line < fd3.txt; echo "fd3 holds: $first_line"
    ''', files=True)


def test_sh_exit_status_is_returned(compare):
    native, _ = sh(compare, 'echo before; false || exit 7; echo never')
    assert native.returncode == 7


def test_sh_reads_missing_file_and_reports_error(compare):
    sh(compare, 'read -r line < does-not-exist; echo "status $?"', stderr=True)
