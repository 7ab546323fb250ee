// SPDX-License-Identifier: GPL-2.0
/*
 * A QEMU TCG plugin that counts the guest instructions each translation
 * block executes, between markers the guest sets, so that a benchmark's
 * instructions can be attributed to kernel symbols (tools/bench/attrib.sh).
 *
 * Counting: every translation block gets an inline counter (no callback,
 * so the guest runs at nearly its normal TCG speed), shared by all blocks
 * with the same start address and length.  Under -icount the vCPUs run in
 * one thread, so the counters need no atomics.
 *
 * Markers: the guest executes the otherwise meaningless no-op
 * "nopw 0x4d415252(%rax,%rax,1)" (66 0f 1f 84 00 52 52 41 4d, "RRAM").
 * At each one the plugin appends the counts since the previous marker to
 * the output file as one phase, and starts the next phase from zero:
 *
 *	phase N
 *	<block start> <instructions in the block> <executions>   (hex, hex, dec)
 *	...
 *
 * Arguments: out=FILE (required).
 *
 * Written against QEMU's plugin API version 1 (QEMU 7.2, Debian bookworm);
 * the few declarations it needs are below, so no QEMU headers are needed.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The subset of QEMU's include/qemu/qemu-plugin.h (API version 1) used here. */
#define QEMU_PLUGIN_EXPORT __attribute__((visibility("default")))
typedef uint64_t qemu_plugin_id_t;
typedef struct qemu_info_t qemu_info_t;
struct qemu_plugin_tb;
struct qemu_plugin_insn;
enum qemu_plugin_op { QEMU_PLUGIN_INLINE_ADD_U64 };
enum qemu_plugin_cb_flags { QEMU_PLUGIN_CB_NO_REGS };
typedef void (*qemu_plugin_vcpu_tb_trans_cb_t)(qemu_plugin_id_t id,
					       struct qemu_plugin_tb *tb);
typedef void (*qemu_plugin_vcpu_udata_cb_t)(unsigned int vcpu_index,
					    void *userdata);
typedef void (*qemu_plugin_udata_cb_t)(qemu_plugin_id_t id, void *userdata);
void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t id,
					   qemu_plugin_vcpu_tb_trans_cb_t cb);
void qemu_plugin_register_vcpu_tb_exec_inline(struct qemu_plugin_tb *tb,
					      enum qemu_plugin_op op,
					      void *ptr, uint64_t imm);
void qemu_plugin_register_vcpu_insn_exec_cb(struct qemu_plugin_insn *insn,
					    qemu_plugin_vcpu_udata_cb_t cb,
					    enum qemu_plugin_cb_flags flags,
					    void *userdata);
void qemu_plugin_register_atexit_cb(qemu_plugin_id_t id,
				    qemu_plugin_udata_cb_t cb, void *userdata);
size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *tb);
uint64_t qemu_plugin_tb_vaddr(const struct qemu_plugin_tb *tb);
struct qemu_plugin_insn *qemu_plugin_tb_get_insn(const struct qemu_plugin_tb *tb,
						 size_t idx);
const void *qemu_plugin_insn_data(const struct qemu_plugin_insn *insn);
size_t qemu_plugin_insn_size(const struct qemu_plugin_insn *insn);

QEMU_PLUGIN_EXPORT int qemu_plugin_version = 1;

static const unsigned char marker[] = {
	0x66, 0x0f, 0x1f, 0x84, 0x00, 0x52, 0x52, 0x41, 0x4d
};

struct block {
	uint64_t vaddr;
	uint64_t n_insns;
	uint64_t execs;		/* the inline counter */
	struct block *next;	/* hash chain */
	struct block *all;	/* every block, for dumping */
};

#define BUCKETS (1u << 18)
static struct block *table[BUCKETS];
static struct block *blocks;
static FILE *out;
static unsigned long phase;

static struct block *lookup(uint64_t vaddr, uint64_t n_insns)
{
	unsigned int h = (unsigned int)((vaddr * 0x9e3779b97f4a7c15ull) >> 40) % BUCKETS;
	struct block *b;

	for (b = table[h]; b; b = b->next)
		if (b->vaddr == vaddr && b->n_insns == n_insns)
			return b;
	b = calloc(1, sizeof(*b));
	if (!b) {
		fprintf(stderr, "insn-count: out of memory\n");
		abort();
	}
	b->vaddr = vaddr;
	b->n_insns = n_insns;
	b->next = table[h];
	table[h] = b;
	b->all = blocks;
	blocks = b;
	return b;
}

/* Writes the phase that ends here and starts the next one. */
static void dump_phase(void)
{
	struct block *b;

	fprintf(out, "phase %lu\n", phase++);
	for (b = blocks; b; b = b->all) {
		if (!b->execs)
			continue;
		fprintf(out, "%llx %llx %llu\n", (unsigned long long)b->vaddr,
			(unsigned long long)b->n_insns,
			(unsigned long long)b->execs);
		b->execs = 0;
	}
	fflush(out);
}

static void on_marker(unsigned int vcpu_index, void *userdata)
{
	(void)vcpu_index;
	(void)userdata;
	dump_phase();
}

static void on_translate(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
	size_t n = qemu_plugin_tb_n_insns(tb), i;
	struct block *b = lookup(qemu_plugin_tb_vaddr(tb), n);

	(void)id;
	qemu_plugin_register_vcpu_tb_exec_inline(tb, QEMU_PLUGIN_INLINE_ADD_U64,
						 &b->execs, 1);
	for (i = 0; i < n; i++) {
		struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);

		if (qemu_plugin_insn_size(insn) == sizeof(marker) &&
		    !memcmp(qemu_plugin_insn_data(insn), marker, sizeof(marker)))
			qemu_plugin_register_vcpu_insn_exec_cb(insn, on_marker,
							       QEMU_PLUGIN_CB_NO_REGS,
							       NULL);
	}
}

static void on_qemu_exit(qemu_plugin_id_t id, void *userdata)
{
	(void)id;
	(void)userdata;
	dump_phase();
	fclose(out);
}

QEMU_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id,
					   const qemu_info_t *info,
					   int argc, char **argv)
{
	int i;

	(void)info;
	for (i = 0; i < argc; i++)
		if (!strncmp(argv[i], "out=", 4))
			out = fopen(argv[i] + 4, "w");
	if (!out) {
		fprintf(stderr, "insn-count: needs out=FILE (a writable path)\n");
		return -1;
	}
	qemu_plugin_register_vcpu_tb_trans_cb(id, on_translate);
	qemu_plugin_register_atexit_cb(id, on_qemu_exit, NULL);
	return 0;
}
