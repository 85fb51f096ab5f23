// SPDX-License-Identifier: GPL-2.0
/*
 * iova_bench: the lab's benchmark module (not part of the series). It builds
 * against Linux 6.1, 6.1 with the series and 6.12, and measures, on an IOVA
 * domain of its own or through the DMA API of a PCI device bound to it:
 *
 *   hotpath size=S cpus=1|all iters=N  ns per alloc_iova_fast()+free_iova_fast()
 *                                      (and with all: the span from the first
 *                                      loop's start to the last one's end per
 *                                      pair of all loops, and their overlap)
 *   cliff rounds=R batch=M [from=B]    ops/s per round while work hops CPUs
 *                                      (all: over all rounds; span_all: the
 *                                      same from the phases' spans);
 *                                      with from=B, the batch grows from B
 *                                      to M over the rounds, after one
 *                                      round at B that is not measured
 *   burst n=N                          allocate then free N IOVAs of every
 *                                      cacheable size (ns: how long it took)
 *   count                              IOVAs the domain still holds (cached)
 *   reset                              a new domain in place of the old one
 *   domain                             the domain's name as %p prints it (as
 *                                      /sys/kernel/debug/iommu/iova_rcaches does)
 *   fresh n=K / unfresh                set up / tear down K unused domains
 *   spread n=N                         on every online CPU at once, in each
 *                                      of the fresh domains, allocate then
 *                                      free N IOVAs of every cacheable size
 *   freshcount                         IOVAs the fresh domains still hold
 *   sac loops=L                        ns per map of the DMA API once the
 *                                      space below 4 GiB is full (needs the
 *                                      PCI device, bound via driver_override)
 *   icount op=O [size=S] [iters=N] [batch=B] [extra=1]
 *                                      guest instructions per operation when
 *                                      QEMU runs with -icount shift=0 (see
 *                                      bench_icount()); O is pair, depot, tree
 *                                      or dma (the bound PCI device)
 *
 * Write a command to /sys/kernel/debug/iova_bench/cmd; read the same file for
 * the result: lines of "key=value" pairs. Under TCG only ratios between
 * kernels measured in one run mean anything.
 */
#include <linux/cpu.h>
#include <linux/debugfs.h>
#include <linux/dma-mapping.h>
#include <linux/iova.h>
#include <linux/ktime.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/pci.h>
#include <linux/slab.h>
#include <linux/stringify.h>
#include <linux/timex.h>
#include <linux/vmalloc.h>
#include <linux/workqueue.h>

#define BENCH_LIMIT_PFN		(DMA_BIT_MASK(48) >> PAGE_SHIFT)
#define BENCH_ORDERS		6	/* cacheable sizes: 1..32 granules */
#define BENCH_OUT_SIZE		8192

static struct dentry *bench_dir;
static DEFINE_MUTEX(bench_lock);
static char *bench_out;
static size_t bench_len;
static struct iova_domain *bench_iovad;
static struct workqueue_struct *bench_wq;
static struct pci_dev *bench_pdev;

static __printf(1, 2) void out(const char *fmt, ...)
{
	va_list args;

	va_start(args, fmt);
	bench_len += vscnprintf(bench_out + bench_len, BENCH_OUT_SIZE - bench_len, fmt, args);
	va_end(args);
}

static struct iova_domain *bench_domain_create(void)
{
	struct iova_domain *iovad = kzalloc(sizeof(*iovad), GFP_KERNEL);

	if (!iovad)
		return NULL;
	init_iova_domain(iovad, PAGE_SIZE, 1);
	if (iova_domain_init_rcaches(iovad)) {
		put_iova_domain(iovad);
		kfree(iovad);
		return NULL;
	}
	return iovad;
}

static void bench_domain_destroy(struct iova_domain *iovad)
{
	put_iova_domain(iovad);
	kfree(iovad);
}

/* IOVAs in the domain's tree, the anchor excluded */
static unsigned long bench_tree_count(struct iova_domain *iovad)
{
	struct rb_node *node;
	unsigned long flags, n = 0;

	spin_lock_irqsave(&iovad->iova_rbtree_lock, flags);
	for (node = rb_first(&iovad->rbroot); node; node = rb_next(node))
		n++;
	spin_unlock_irqrestore(&iovad->iova_rbtree_lock, flags);
	return n - 1;
}

/* Hot path: one work per CPU, each timing its own loop */
struct bench_hot {
	struct work_struct work;
	unsigned long size, iters;
	u64 t0, ns;		/* when the timed loop started, and its length */
	unsigned long failed;
};

static void bench_hot_fn(struct work_struct *work)
{
	struct bench_hot *h = container_of(work, struct bench_hot, work);
	unsigned long i, pfn;
	u64 t0;

	/* Warm the CPU's cache first. */
	for (i = 0; i < 256; i++) {
		pfn = alloc_iova_fast(bench_iovad, h->size, BENCH_LIMIT_PFN, true);
		if (pfn)
			free_iova_fast(bench_iovad, pfn, h->size);
	}
	t0 = ktime_get_ns();
	for (i = 0; i < h->iters; i++) {
		pfn = alloc_iova_fast(bench_iovad, h->size, BENCH_LIMIT_PFN, true);
		if (!pfn) {
			h->failed++;
			continue;
		}
		free_iova_fast(bench_iovad, pfn, h->size);
	}
	h->t0 = t0;
	h->ns = ktime_get_ns() - t0;
}

static int bench_hotpath(unsigned long size, bool all, unsigned long iters)
{
	struct bench_hot *h;
	unsigned int cpu, n = 0;
	u64 sum = 0, first = U64_MAX, last = 0, span;
	unsigned long failed = 0;

	h = kcalloc(nr_cpu_ids, sizeof(*h), GFP_KERNEL);
	if (!h)
		return -ENOMEM;
	cpus_read_lock();
	for_each_online_cpu(cpu) {
		if (!all && n)
			break;
		INIT_WORK(&h[cpu].work, bench_hot_fn);
		h[cpu].size = size;
		h[cpu].iters = iters;
		queue_work_on(cpu, bench_wq, &h[cpu].work);
		n++;
	}
	flush_workqueue(bench_wq);
	cpus_read_unlock();
	for_each_possible_cpu(cpu) {
		if (!h[cpu].ns)
			continue;
		sum += h[cpu].ns;
		failed += h[cpu].failed;
		first = min(first, h[cpu].t0);
		last = max(last, h[cpu].t0 + h[cpu].ns);
	}
	/*
	 * ns_per_pair is each loop's own time per pair, averaged over the
	 * loops. With every CPU, it also depends on how many loops ran at
	 * once (overlap, in hundredths: the loops' total time over the span
	 * from the first start to the last end), which under TCG is up to the
	 * host's scheduler: span_ns_per_pair, the span over all pairs of all
	 * loops, is the whole machine's time per pair, which does not.
	 */
	span = last > first ? last - first : 1;
	out("hotpath size=%lu cpus=%u iters=%lu ns_per_pair=%llu failed=%lu span_ns_per_pair=%llu overlap=%llu\n",
	    size, n, iters, div_u64(sum, (u64)n * iters), failed,
	    div_u64(span, (u64)n * iters), div64_u64(sum * 100, span));
	kfree(h);
	return 0;
}

/* The cliff: batches allocated on one CPU and freed on the next */
struct bench_slot {
	struct work_struct work;
	unsigned long *pfns;
	unsigned long batch;
	bool alloc;
	unsigned long failed;
	u64 t0, ns;		/* start and time spent in the allocator, last phase */
};

static unsigned long bench_mixed_size(unsigned long i)
{
	return 1UL << (i % 4);		/* 1, 2, 4, 8 granules */
}

static void bench_slot_fn(struct work_struct *work)
{
	struct bench_slot *s = container_of(work, struct bench_slot, work);
	u64 t0 = ktime_get_ns();
	unsigned long i;

	for (i = 0; i < s->batch; i++) {
		if (s->alloc) {
			s->pfns[i] = alloc_iova_fast(bench_iovad, bench_mixed_size(i),
						     BENCH_LIMIT_PFN, true);
			if (!s->pfns[i])
				s->failed++;
		} else if (s->pfns[i]) {
			free_iova_fast(bench_iovad, s->pfns[i], bench_mixed_size(i));
		}
	}
	s->t0 = t0;
	s->ns = ktime_get_ns() - t0;
}

/* From the first slot's start to the last one's end */
static u64 bench_cliff_span(struct bench_slot *slots, unsigned int ncpus)
{
	u64 first = U64_MAX, last = 0;
	unsigned int i;

	for (i = 0; i < ncpus; i++) {
		first = min(first, slots[i].t0);
		last = max(last, slots[i].t0 + slots[i].ns);
	}
	return last - first;
}

/* Round @r of @rounds: the batch, growing linearly from @from to @batch */
static unsigned long bench_cliff_batch(unsigned int r, unsigned int rounds,
				       unsigned long from, unsigned long batch)
{
	if (!from || rounds < 2)
		return batch;
	return from + div_u64((u64)(batch - from) * r, rounds - 1);
}

/*
 * One round: each slot allocates on one CPU and frees on the next. Returns
 * the time the round spent in the allocator: per phase, that of the slowest
 * slot (they run at the same time), so that the time a CPU takes to wake up
 * for its work (milliseconds under TCG) does not count. Adds to @span the
 * phases' spans, from the first slot's start to the last one's end: under
 * -icount, the instructions of the whole guest.
 */
static u64 bench_cliff_round(struct bench_slot *slots, unsigned int *cpus,
			     unsigned int ncpus, unsigned int r, unsigned long batch,
			     u64 *span)
{
	u64 alloc_ns = 0, free_ns = 0;
	unsigned int i;

	/* Each slot allocates on one CPU... */
	for (i = 0; i < ncpus; i++) {
		slots[i].batch = batch;
		slots[i].alloc = true;
		queue_work_on(cpus[(i + r) % ncpus], bench_wq, &slots[i].work);
	}
	flush_workqueue(bench_wq);
	for (i = 0; i < ncpus; i++)
		alloc_ns = max(alloc_ns, slots[i].ns);
	*span += bench_cliff_span(slots, ncpus);
	/* ...and frees on the next, as a task that migrated would. */
	for (i = 0; i < ncpus; i++) {
		slots[i].alloc = false;
		queue_work_on(cpus[(i + r + 1) % ncpus], bench_wq, &slots[i].work);
	}
	flush_workqueue(bench_wq);
	for (i = 0; i < ncpus; i++)
		free_ns = max(free_ns, slots[i].ns);
	*span += bench_cliff_span(slots, ncpus);
	return alloc_ns + free_ns;
}

static int bench_cliff(unsigned int rounds, unsigned long batch, unsigned long from)
{
	unsigned int ncpus, i, r, cpu, *cpus;
	struct bench_slot *slots;
	unsigned long failed = 0;
	u64 first = 0, last = 0, span = 0, all_ns = 0, all_ops = 0;
	int ret = -ENOMEM;

	if (from > batch)
		return -EINVAL;
	cpus_read_lock();
	ncpus = num_online_cpus();
	cpus = kcalloc(ncpus, sizeof(*cpus), GFP_KERNEL);
	slots = kcalloc(ncpus, sizeof(*slots), GFP_KERNEL);
	if (!cpus || !slots)
		goto out;
	i = 0;
	for_each_online_cpu(cpu)
		cpus[i++] = cpu;
	for (i = 0; i < ncpus; i++) {
		slots[i].pfns = vmalloc(array_size(batch, sizeof(unsigned long)));
		if (!slots[i].pfns)
			goto out;
		INIT_WORK(&slots[i].work, bench_slot_fn);
	}

	/* A growing batch starts from warm caches: one round not measured. */
	if (from)
		bench_cliff_round(slots, cpus, ncpus, 0, from, &span);
	span = 0;

	out("cliff rounds=%u batch=%lu from=%lu cpus=%u ops_per_s=", rounds, batch,
	    from, ncpus);
	for (r = 0; r < rounds; r++) {
		unsigned long b = bench_cliff_batch(r, rounds, from, batch);
		u64 ns, ops;

		ns = bench_cliff_round(slots, cpus, ncpus, r + !!from, b, &span);
		ops = div64_u64(2ULL * ncpus * b * NSEC_PER_SEC, ns ?: 1);
		all_ns += ns;
		all_ops += 2ULL * ncpus * b;
		out("%s%llu", r ? "," : "", ops);
		if (r == 0)
			first = ops;
		last = ops;
	}
	for (i = 0; i < ncpus; i++)
		failed += slots[i].failed;
	/* All rounds: by the slowest slots' times, and by the phases' spans */
	out(" first=%llu last=%llu failed=%lu all=%llu span_all=%llu\n", first, last,
	    failed, div64_u64(all_ops * NSEC_PER_SEC, all_ns ?: 1),
	    div64_u64(all_ops * NSEC_PER_SEC, span ?: 1));
	ret = 0;
out:
	for (i = 0; slots && i < ncpus; i++)
		vfree(slots[i].pfns);
	kfree(slots);
	kfree(cpus);
	cpus_read_unlock();
	return ret;
}

/* A burst of every cacheable size, all freed again */
static int bench_burst(unsigned long n)
{
	unsigned long *pfns, i;
	unsigned int order;
	u64 t0, ns;

	pfns = vmalloc(array_size(n, sizeof(*pfns)));
	if (!pfns)
		return -ENOMEM;
	t0 = ktime_get_ns();
	for (order = 0; order < BENCH_ORDERS; order++) {
		for (i = 0; i < n; i++)
			pfns[i] = alloc_iova_fast(bench_iovad, 1UL << order, BENCH_LIMIT_PFN, true);
		for (i = 0; i < n; i++)
			if (pfns[i])
				free_iova_fast(bench_iovad, pfns[i], 1UL << order);
	}
	ns = ktime_get_ns() - t0;
	vfree(pfns);
	out("burst n=%lu orders=%u cached_iovas=%lu ns=%llu\n", n, BENCH_ORDERS,
	    bench_tree_count(bench_iovad), ns);
	return 0;
}

/* Domains that are set up and never used */
static struct iova_domain **fresh;
static unsigned int nr_fresh;

static int bench_fresh(unsigned int n)
{
	if (fresh)
		return -EBUSY;
	fresh = kcalloc(n, sizeof(*fresh), GFP_KERNEL);
	if (!fresh)
		return -ENOMEM;
	for (nr_fresh = 0; nr_fresh < n; nr_fresh++) {
		fresh[nr_fresh] = bench_domain_create();
		if (!fresh[nr_fresh])
			return -ENOMEM;
	}
	out("fresh domains=%u\n", nr_fresh);
	return 0;
}

/* Bursts in the fresh domains on every CPU: Pasha Tatashin's case, scaled */
struct bench_spread {
	struct work_struct work;
	unsigned long n, *pfns;
	unsigned long failed;
};

static void bench_spread_fn(struct work_struct *work)
{
	struct bench_spread *sp = container_of(work, struct bench_spread, work);
	unsigned int d, order;
	unsigned long i;

	for (d = 0; d < nr_fresh; d++) {
		for (order = 0; order < BENCH_ORDERS; order++) {
			for (i = 0; i < sp->n; i++) {
				sp->pfns[i] = alloc_iova_fast(fresh[d], 1UL << order,
							      BENCH_LIMIT_PFN, true);
				if (!sp->pfns[i])
					sp->failed++;
			}
			for (i = 0; i < sp->n; i++)
				if (sp->pfns[i])
					free_iova_fast(fresh[d], sp->pfns[i], 1UL << order);
		}
	}
}

static int bench_spread(unsigned long n)
{
	struct bench_spread *sp;
	unsigned long failed = 0;
	unsigned int cpu, ncpus = 0;
	int ret = -ENOMEM;

	if (!nr_fresh)
		return -ENOENT;
	sp = kcalloc(nr_cpu_ids, sizeof(*sp), GFP_KERNEL);
	if (!sp)
		return -ENOMEM;
	cpus_read_lock();
	for_each_online_cpu(cpu) {
		sp[cpu].pfns = vmalloc(array_size(n, sizeof(unsigned long)));
		if (!sp[cpu].pfns)
			goto out;
		sp[cpu].n = n;
		INIT_WORK(&sp[cpu].work, bench_spread_fn);
	}
	for_each_online_cpu(cpu) {
		queue_work_on(cpu, bench_wq, &sp[cpu].work);
		ncpus++;
	}
	flush_workqueue(bench_wq);
	for_each_online_cpu(cpu)
		failed += sp[cpu].failed;
	out("spread n=%lu domains=%u orders=%u cpus=%u failed=%lu\n", n, nr_fresh,
	    BENCH_ORDERS, ncpus, failed);
	ret = 0;
out:
	cpus_read_unlock();
	for_each_possible_cpu(cpu)
		vfree(sp[cpu].pfns);
	kfree(sp);
	return ret;
}

static unsigned long bench_fresh_count(void)
{
	unsigned long n = 0;
	unsigned int d;

	for (d = 0; d < nr_fresh; d++)
		n += bench_tree_count(fresh[d]);
	return n;
}

static void bench_unfresh(void)
{
	while (nr_fresh)
		bench_domain_destroy(fresh[--nr_fresh]);
	kfree(fresh);
	fresh = NULL;
}

/*
 * SAC under fragmentation, through the DMA API: fill the space below 4 GiB
 * with mappings of 64 pages (too large for the rcaches, so that unmapping
 * one frees it to the rbtree at once), until the IOMMU hands out an address
 * above 4 GiB; then, @loops times, unmap one low mapping and map one of 128
 * pages, which cannot fit in the hole. Run it in strict mode, so that unmaps
 * are not deferred by the flush queue.
 */
#define BENCH_SAC_SMALL	64
#define BENCH_SAC_LARGE	128

static int bench_sac(unsigned long loops)
{
	struct device *dev = bench_pdev ? &bench_pdev->dev : NULL;
	size_t small = BENCH_SAC_SMALL * PAGE_SIZE, large = BENCH_SAC_LARGE * PAGE_SIZE;
	unsigned long max = SZ_4G / small + 16, nlow = 0, nlarge = 0, i;
	dma_addr_t *low, *big, addr;
	struct page *page;
	u64 t0, ns = 0;
	int ret = 0;

	if (!dev)
		return -ENODEV;
	page = alloc_pages(GFP_KERNEL, get_order(large));
	low = vmalloc(array_size(max, sizeof(*low)));
	big = vmalloc(array_size(loops, sizeof(*big)));
	if (!page || !low || !big) {
		ret = -ENOMEM;
		goto out;
	}
	for (;;) {
		addr = dma_map_page(dev, page, 0, small, DMA_BIDIRECTIONAL);
		if (dma_mapping_error(dev, addr)) {
			ret = -ENOMEM;
			goto out_unmap;
		}
		if (addr >= SZ_4G || nlow == max) {
			dma_unmap_page(dev, addr, small, DMA_BIDIRECTIONAL);
			break;
		}
		low[nlow++] = addr;
	}
	for (i = 0; i < loops && i < nlow; i++) {
		/* Spread the holes over the whole 32-bit space. */
		unsigned long victim = (i * 7919) % nlow;

		if (!low[victim])
			continue;
		dma_unmap_page(dev, low[victim], small, DMA_BIDIRECTIONAL);
		low[victim] = 0;
		t0 = ktime_get_ns();
		addr = dma_map_page(dev, page, 0, large, DMA_BIDIRECTIONAL);
		ns += ktime_get_ns() - t0;
		if (dma_mapping_error(dev, addr)) {
			ret = -ENOMEM;
			break;
		}
		big[nlarge++] = addr;
	}
	out("sac low_mappings=%lu loops=%lu ns_per_map=%llu\n", nlow, nlarge,
	    nlarge ? div_u64(ns, nlarge) : 0);
out_unmap:
	for (i = 0; i < nlarge; i++)
		dma_unmap_page(dev, big[i], large, DMA_BIDIRECTIONAL);
	for (i = 0; i < nlow; i++)
		if (low[i])
			dma_unmap_page(dev, low[i], small, DMA_BIDIRECTIONAL);
out:
	vfree(big);
	vfree(low);
	if (page)
		__free_pages(page, get_order(large));
	return ret;
}

/*
 * Instruction counts. Under QEMU's TCG with -icount shift=0 the guest's
 * clock, and with it the TSC that get_cycles() reads, advances by one for
 * each guest instruction, so a get_cycles() delta counts the instructions
 * run in between. Interrupts are off through the loop so that no tick or
 * other interrupt is counted: the figure depends only on the code. It
 * includes the loop's own few instructions, the same on every kernel (this
 * module is built from one source for all of them).
 *
 *   pair   alloc_iova_fast() + free_iova_fast() of @size granules, served
 *          by the CPU's magazines (after a warm-up)
 *   depot  @batch allocations of @size then @batch frees, so that each
 *          round empties and refills the CPU's magazines through the depot
 *          (per alloc+free)
 *   tree   the same as pair with a size the rcaches do not hold (64
 *          granules): both calls go to the rbtree
 *   dma    dma_map_page() + dma_unmap_page() of one page on the bound PCI
 *          device, through whatever the boot's IOMMU mode gives it
 *
 * extra=1 adds BENCH_NOPS nops to every iteration: the figure must grow by
 * that many, which checks the method itself.
 */
#define BENCH_NOPS	100

enum bench_op { BENCH_PAIR, BENCH_DEPOT, BENCH_TREE, BENCH_DMA };

struct bench_icount {
	enum bench_op op;
	unsigned long size, iters, batch;
	bool extra;
	struct device *dev;
	struct page *page;
	unsigned long *pfns;
	unsigned long ops, failed;
};

static void bench_icount_once(struct bench_icount *b)
{
	unsigned long i, pfn;
	dma_addr_t addr;

	if (b->extra)
		asm volatile(".rept " __stringify(BENCH_NOPS) "\n\tnop\n\t.endr");
	switch (b->op) {
	case BENCH_PAIR:
	case BENCH_TREE:
		pfn = alloc_iova_fast(bench_iovad, b->size, BENCH_LIMIT_PFN, true);
		if (!pfn) {
			b->failed++;
			return;
		}
		free_iova_fast(bench_iovad, pfn, b->size);
		b->ops++;
		break;
	case BENCH_DEPOT:
		for (i = 0; i < b->batch; i++)
			b->pfns[i] = alloc_iova_fast(bench_iovad, b->size, BENCH_LIMIT_PFN, true);
		for (i = 0; i < b->batch; i++) {
			if (!b->pfns[i]) {
				b->failed++;
				continue;
			}
			free_iova_fast(bench_iovad, b->pfns[i], b->size);
			b->ops++;
		}
		break;
	case BENCH_DMA:
		addr = dma_map_page(b->dev, b->page, 0, PAGE_SIZE, DMA_TO_DEVICE);
		if (dma_mapping_error(b->dev, addr)) {
			b->failed++;
			return;
		}
		dma_unmap_page(b->dev, addr, PAGE_SIZE, DMA_TO_DEVICE);
		b->ops++;
		break;
	}
}

static int bench_icount(const char *op, unsigned long size, unsigned long iters,
			unsigned long batch, unsigned int extra)
{
	struct bench_icount b = { .size = size, .iters = iters, .batch = batch,
				  .extra = extra };
	unsigned long flags, i;
	cycles_t t0, t1;
	u64 per_op;
	int ret = 0;

	if (!strcmp(op, "pair")) {
		b.op = BENCH_PAIR;
	} else if (!strcmp(op, "depot")) {
		b.op = BENCH_DEPOT;
	} else if (!strcmp(op, "tree")) {
		b.op = BENCH_TREE;
		b.size = 64;
	} else if (!strcmp(op, "dma")) {
		b.op = BENCH_DMA;
		b.size = 1;
		b.dev = bench_pdev ? &bench_pdev->dev : NULL;
		if (!b.dev)
			return -ENODEV;
	} else {
		return -EINVAL;
	}
	if (!iters || (b.op == BENCH_DEPOT && !batch))
		return -EINVAL;
	if (b.op == BENCH_DEPOT) {
		b.pfns = vmalloc(array_size(batch, sizeof(*b.pfns)));
		if (!b.pfns)
			return -ENOMEM;
	}
	if (b.op == BENCH_DMA) {
		b.page = alloc_page(GFP_KERNEL);
		if (!b.page)
			return -ENOMEM;
	}

	/* Warm up: the magazines filled, the code and data in place. */
	for (i = 0; i < min(iters, b.op == BENCH_DEPOT ? 2UL : 256UL); i++)
		bench_icount_once(&b);
	b.ops = 0;
	b.failed = 0;

	local_irq_save(flags);
	t0 = get_cycles();
	for (i = 0; i < iters; i++)
		bench_icount_once(&b);
	t1 = get_cycles();
	local_irq_restore(flags);

	/* Per operation, in hundredths. */
	per_op = b.ops ? div64_u64((u64)(t1 - t0) * 100, b.ops) : 0;
	if (!b.ops)
		ret = -EIO;
	else
		out("icount op=%s size=%lu batch=%lu extra=%u iters=%lu ops=%lu failed=%lu instructions=%llu per_op=%llu.%02llu\n",
		    op, b.size, b.op == BENCH_DEPOT ? batch : 0, extra, iters, b.ops,
		    b.failed, (u64)(t1 - t0), per_op / 100, per_op % 100);
	if (b.page)
		__free_page(b.page);
	vfree(b.pfns);
	return ret;
}

static int bench_run(char *cmd)
{
	unsigned long size = 1, iters = 100000, n = 0, batch = 2048, loops = 500, from = 0;
	unsigned int rounds = 100, extra = 0;
	char op[16] = "";
	bool all = false;
	char *word, *arg = cmd;
	const char *what = strsep(&arg, " \n");

	while ((word = strsep(&arg, " \n"))) {
		if (!*word)
			continue;
		if (sscanf(word, "size=%lu", &size) == 1 ||
		    sscanf(word, "iters=%lu", &iters) == 1 ||
		    sscanf(word, "n=%lu", &n) == 1 ||
		    sscanf(word, "batch=%lu", &batch) == 1 ||
		    sscanf(word, "loops=%lu", &loops) == 1 ||
		    sscanf(word, "from=%lu", &from) == 1 ||
		    sscanf(word, "rounds=%u", &rounds) == 1 ||
		    sscanf(word, "extra=%u", &extra) == 1 ||
		    sscanf(word, "op=%15s", op) == 1)
			continue;
		if (!strcmp(word, "cpus=all")) {
			all = true;
			continue;
		}
		if (!strcmp(word, "cpus=1"))
			continue;
		return -EINVAL;
	}

	bench_len = 0;
	bench_out[0] = 0;
	if (!strcmp(what, "hotpath"))
		return bench_hotpath(size, all, iters);
	if (!strcmp(what, "cliff"))
		return bench_cliff(rounds, batch, from);
	if (!strcmp(what, "burst"))
		return bench_burst(n ?: 10000);
	if (!strcmp(what, "count")) {
		out("count cached_iovas=%lu\n", bench_tree_count(bench_iovad));
		return 0;
	}
	if (!strcmp(what, "reset")) {
		struct iova_domain *iovad = bench_domain_create();

		if (!iovad)
			return -ENOMEM;
		bench_domain_destroy(bench_iovad);
		bench_iovad = iovad;
		out("reset\n");
		return 0;
	}
	if (!strcmp(what, "domain")) {
		out("domain id=%p\n", bench_iovad);
		return 0;
	}
	if (!strcmp(what, "fresh"))
		return bench_fresh(n ?: 16);
	if (!strcmp(what, "unfresh")) {
		bench_unfresh();
		out("unfresh\n");
		return 0;
	}
	if (!strcmp(what, "spread"))
		return bench_spread(n ?: 600);
	if (!strcmp(what, "freshcount")) {
		out("freshcount cached_iovas=%lu\n", bench_fresh_count());
		return 0;
	}
	if (!strcmp(what, "sac"))
		return bench_sac(loops);
	if (!strcmp(what, "icount"))
		return bench_icount(op, size, iters, batch, extra);
	return -EINVAL;
}

static ssize_t bench_cmd_write(struct file *file, const char __user *ubuf,
			       size_t len, loff_t *ppos)
{
	char buf[128];
	int ret;

	if (len >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, len))
		return -EFAULT;
	buf[len] = 0;
	mutex_lock(&bench_lock);
	ret = bench_run(buf);
	mutex_unlock(&bench_lock);
	return ret ?: len;
}

static ssize_t bench_cmd_read(struct file *file, char __user *ubuf,
			      size_t len, loff_t *ppos)
{
	ssize_t ret;

	mutex_lock(&bench_lock);
	ret = simple_read_from_buffer(ubuf, len, ppos, bench_out, bench_len);
	mutex_unlock(&bench_lock);
	return ret;
}

static const struct file_operations bench_cmd_fops = {
	.owner = THIS_MODULE,
	.write = bench_cmd_write,
	.read = bench_cmd_read,
};

/* Bound only through driver_override: no id table. */
static int bench_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	int ret = dma_set_mask_and_coherent(&pdev->dev, DMA_BIT_MASK(64));

	if (ret)
		return ret;
	bench_pdev = pdev;
	return 0;
}

static void bench_remove(struct pci_dev *pdev)
{
	mutex_lock(&bench_lock);
	bench_pdev = NULL;
	mutex_unlock(&bench_lock);
}

static struct pci_driver bench_driver = {
	.name = "iova_bench",
	.probe = bench_probe,
	.remove = bench_remove,
};

static int __init bench_init(void)
{
	int ret = -ENOMEM;

	bench_out = kzalloc(BENCH_OUT_SIZE, GFP_KERNEL);
	bench_wq = alloc_workqueue("iova_bench", WQ_HIGHPRI, 0);
	if (!bench_out || !bench_wq)
		goto err;
	ret = iova_cache_get();
	if (ret)
		goto err;
	bench_iovad = bench_domain_create();
	if (!bench_iovad) {
		ret = -ENOMEM;
		goto err_put;
	}
	ret = pci_register_driver(&bench_driver);
	if (ret)
		goto err_domain;
	bench_dir = debugfs_create_dir("iova_bench", NULL);
	debugfs_create_file("cmd", 0600, bench_dir, NULL, &bench_cmd_fops);
	return 0;

err_domain:
	bench_domain_destroy(bench_iovad);
err_put:
	iova_cache_put();
err:
	if (bench_wq)
		destroy_workqueue(bench_wq);
	kfree(bench_out);
	return ret;
}

static void __exit bench_exit(void)
{
	debugfs_remove_recursive(bench_dir);
	pci_unregister_driver(&bench_driver);
	bench_unfresh();
	bench_domain_destroy(bench_iovad);
	iova_cache_put();
	destroy_workqueue(bench_wq);
	kfree(bench_out);
}

module_init(bench_init);
module_exit(bench_exit);
MODULE_DESCRIPTION("IOVA allocator benchmarks of the lab");
MODULE_LICENSE("GPL");
