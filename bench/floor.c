/*
 * floor - the machine's process-creation floor, for `make bench`: fork,
 * _exit and reap of a tiny static process, N times.
 *
 *   floor N   prints "CPU_US P50_US": CPU per process (parent and child,
 *             from getrusage) and the wall time of one fork-exit-reap, p50.
 *
 * Built static (and small), so that the address space copied is the least
 * any new process costs: what a fresh connection per call must pay at
 * least, whatever the gateway does (issue 14's floor).
 */
#include <sys/resource.h>
#include <sys/wait.h>

#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static double now_us(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static double tv_us(struct timeval tv)
{
        return (double)tv.tv_sec * 1e6 + (double)tv.tv_usec;
}

static int cmp(const void *a, const void *b)
{
        double x = *(const double *)a, y = *(const double *)b;

        return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
        struct rusage self0, kids0, self1, kids1;
        int n = argc > 1 ? atoi(argv[1]) : 1000;
        double *lat, cpu;

        if (n < 1 || n > 1000000 || (lat = calloc((size_t)n, sizeof(*lat))) == NULL)
                return 2;
        getrusage(RUSAGE_SELF, &self0);
        getrusage(RUSAGE_CHILDREN, &kids0);
        for (int i = 0; i < n; i++) {
                double t0 = now_us();
                pid_t pid = fork();

                if (pid == 0)
                        _exit(0);
                if (pid < 0 || waitpid(pid, NULL, 0) != pid)
                        return 1;
                lat[i] = now_us() - t0;
        }
        getrusage(RUSAGE_SELF, &self1);
        getrusage(RUSAGE_CHILDREN, &kids1);
        cpu = tv_us(self1.ru_utime) - tv_us(self0.ru_utime) + tv_us(self1.ru_stime) -
              tv_us(self0.ru_stime) + tv_us(kids1.ru_utime) - tv_us(kids0.ru_utime) +
              tv_us(kids1.ru_stime) - tv_us(kids0.ru_stime);
        qsort(lat, (size_t)n, sizeof(*lat), cmp);
        printf("%.1f %.1f\n", cpu / n, lat[n / 2]);
        return 0;
}
