/* Frames of tcpbed's peer protocol (docs/peer-protocol.md, versions 1 and 2):
 * reading a request from standard input, building events and replies into
 * an output buffer that goes to standard output when the reply is done. */
#ifndef TCPBED_LWIP_FRAME_H
#define TCPBED_LWIP_FRAME_H

#include <stddef.h>
#include <stdint.h>

/* A received frame's body, read front to back. A read past the end sets
 * bad and yields zeros: the caller checks bad once, at the end. */
struct in_frame {
	uint8_t type;
	const uint8_t *p, *end;
	int bad;
};

uint8_t in_u8(struct in_frame *f);
uint16_t in_u16(struct in_frame *f);
uint32_t in_u32(struct in_frame *f);
uint64_t in_u64(struct in_frame *f);
/* in_rest is every byte left; *n gets their count. */
const uint8_t *in_rest(struct in_frame *f, size_t *n);
/* in_done reports whether the body was read exactly to its end. */
int in_done(const struct in_frame *f);

/* read_frame reads the next frame from standard input: 1 with f filled,
 * 0 at end of file, -1 on a broken frame (said on standard error). */
int read_frame(struct in_frame *f);

/* An outgoing frame is begun, filled and ended in the output buffer. */
void out_begin(uint8_t type);
void out_u8(uint8_t v);
void out_u16(uint16_t v);
void out_u32(uint32_t v);
void out_u64(uint64_t v);
void out_bytes(const void *p, size_t n);
void out_string(const char *s);
void out_end(void);
/* frames_to_private_stdout keeps standard output for frames alone and
 * points file descriptor 1 (printf's) at standard error; -1 on error. */
int frames_to_private_stdout(void);
/* out_flush writes every ended frame to standard output; -1 on error. */
int out_flush(void);

#endif
