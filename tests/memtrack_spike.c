/* Test helper for memtrack: a native memory spike inside one C call.
 *
 * Loaded with ctypes.PyDLL the GIL stays held for the whole call, so no Python
 * thread (a sampling thread included) can run while the memory is resident.
 * Built at test time with the machine's `cc`.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Allocate nbytes, touch every page, keep them hold_us microseconds, free.
 * Returns 0, or -1 if the allocation failed.
 *
 * The pages are read back after the hold: without a read, compilers delete a
 * malloc + memset + free sequence as dead code (gcc -O1 does). */
int memtrack_spike(size_t nbytes, unsigned int hold_us)
{
    volatile unsigned char sum = 0;
    unsigned char *p = malloc(nbytes);
    size_t i;

    if (p == NULL)
        return -1;
    memset(p, 1, nbytes);
    if (hold_us)
        usleep(hold_us);
    for (i = 0; i < nbytes; i += 4096)
        sum += p[i];
    free(p); /* glibc returns an mmap-ed block of this size to the OS at once */
    return sum == (unsigned char)((nbytes + 4095) / 4096) ? 0 : -2;
}
