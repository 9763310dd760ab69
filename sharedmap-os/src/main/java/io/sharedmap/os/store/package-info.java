/**
 * The mapped store's file layouts and the lock-free reader that every permitted process uses to
 * answer GET from mapped memory, without a system call. The daemon is the only writer (its writer
 * lives in the server module).
 */
package io.sharedmap.os.store;
