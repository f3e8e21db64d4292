/* Frames of tcpbed's peer protocol: a u32 length (of what follows), a type
 * byte, the body; every integer big-endian. */
#include "frame.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_FRAME (1u << 20)

/* Room for a whole frame, its length, and more to read ahead. */
static uint8_t inbuf[4 + MAX_FRAME + (64u << 10)];

uint8_t in_u8(struct in_frame *f)
{
	if (f->end - f->p < 1) {
		f->bad = 1;
		return 0;
	}
	return *f->p++;
}

uint16_t in_u16(struct in_frame *f)
{
	uint16_t hi = in_u8(f);
	return (uint16_t)(hi << 8 | in_u8(f));
}

uint32_t in_u32(struct in_frame *f)
{
	uint32_t hi = in_u16(f);
	return hi << 16 | in_u16(f);
}

uint64_t in_u64(struct in_frame *f)
{
	uint64_t hi = in_u32(f);
	return hi << 32 | in_u32(f);
}

const uint8_t *in_rest(struct in_frame *f, size_t *n)
{
	const uint8_t *p = f->p;
	*n = (size_t)(f->end - f->p);
	f->p = f->end;
	return p;
}

int in_done(const struct in_frame *f) { return !f->bad && f->p == f->end; }

/* The input buffer: bytes read from in_start to in_end, not yet taken as
 * frames. Each read asks for all the room left, so that a request comes
 * in one system call, length and body together, not one for each. */
static size_t in_start, in_end;

/* fill reads until n bytes (at most a whole frame and its length) wait
 * from in_start: 1, 0 at a clean end of file with none waiting, -1
 * otherwise. It moves what waits to the front first if n would not fit;
 * the frame read last is done with by then. */
static int fill(size_t n)
{
	if (in_start + n > sizeof inbuf) {
		memmove(inbuf, inbuf + in_start, in_end - in_start);
		in_end -= in_start;
		in_start = 0;
	}
	while (in_end - in_start < n) {
		ssize_t r = read(0, inbuf + in_end, sizeof inbuf - in_end);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return r == 0 && in_end == in_start ? 0 : -1;
		in_end += (size_t)r;
	}
	return 1;
}

int read_frame(struct in_frame *f)
{
	int r = fill(4);
	if (r <= 0)
		return r;
	const uint8_t *head = inbuf + in_start;
	uint32_t len = (uint32_t)head[0] << 24 | (uint32_t)head[1] << 16 | (uint32_t)head[2] << 8 | head[3];
	if (len < 1 || len > MAX_FRAME) {
		fprintf(stderr, "tcpbed-lwip: a frame of length %u (want 1 to %u)\n", len, MAX_FRAME);
		return -1;
	}
	if (fill(4 + (size_t)len) != 1) {
		fprintf(stderr, "tcpbed-lwip: input ended inside a frame\n");
		return -1;
	}
	const uint8_t *body = inbuf + in_start + 4;
	in_start += 4 + (size_t)len;
	f->type = body[0];
	f->p = body + 1;
	f->end = body + len;
	f->bad = 0;
	return 1;
}

/* The output buffer holds whole frames, and the one being built from
 * frame_start on. */
static uint8_t *out;
static size_t out_len, out_cap, frame_start;

static void out_room(size_t n)
{
	if (out_len + n <= out_cap)
		return;
	while (out_len + n > out_cap)
		out_cap = out_cap ? out_cap * 2 : 1 << 16;
	out = realloc(out, out_cap);
	if (!out) {
		fprintf(stderr, "tcpbed-lwip: out of memory for output\n");
		exit(1);
	}
}

void out_begin(uint8_t type)
{
	frame_start = out_len;
	out_room(5);
	out_len += 4; /* the length, filled in by out_end */
	out[out_len++] = type;
}

void out_u8(uint8_t v)
{
	out_room(1);
	out[out_len++] = v;
}

void out_u16(uint16_t v)
{
	out_u8((uint8_t)(v >> 8));
	out_u8((uint8_t)v);
}

void out_u32(uint32_t v)
{
	out_u16((uint16_t)(v >> 16));
	out_u16((uint16_t)v);
}

void out_u64(uint64_t v)
{
	out_u32((uint32_t)(v >> 32));
	out_u32((uint32_t)v);
}

void out_bytes(const void *p, size_t n)
{
	out_room(n);
	memcpy(out + out_len, p, n);
	out_len += n;
}

void out_string(const char *s)
{
	size_t n = strlen(s);
	out_u16((uint16_t)n);
	out_bytes(s, n);
}

void out_end(void)
{
	uint32_t len = (uint32_t)(out_len - frame_start - 4);
	out[frame_start] = (uint8_t)(len >> 24);
	out[frame_start + 1] = (uint8_t)(len >> 16);
	out[frame_start + 2] = (uint8_t)(len >> 8);
	out[frame_start + 3] = (uint8_t)len;
}

/* out_fd is where frames go: standard output as it was at start, while
 * file descriptor 1 itself is pointed at standard error, so that what lwIP
 * prints (a failed assertion's message) cannot break the frame stream. */
static int out_fd = 1;

int frames_to_private_stdout(void)
{
	int fd = dup(1);
	if (fd < 0 || dup2(2, 1) < 0)
		return -1;
	out_fd = fd;
	return 0;
}

int out_flush(void)
{
	size_t done = 0;
	while (done < out_len) {
		ssize_t w = write(out_fd, out + done, out_len - done);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		done += (size_t)w;
	}
	out_len = 0;
	return 0;
}
