/*
 * Test-only stand-in for bcryptprimitives.dll under Wine 8, which does not
 * ship it. Rust's standard library on Windows imports ProcessPrng from it
 * (real Windows 10+ has it). This shim forwards to RtlGenRandom
 * (advapi32!SystemFunction036), which Wine does have. Never shipped: it only
 * lets tests/run-all.sh run the Windows build of the C example under Wine.
 */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T length) {
    while (length > 0) {
        ULONG chunk = length > 0x10000000u ? 0x10000000u : (ULONG)length;
        if (!SystemFunction036(data, chunk)) {
            return FALSE;
        }
        data += chunk;
        length -= chunk;
    }
    return TRUE;
}
