/* Per-CPU run queues (include/hv/sched.h). */
#include <hv/errno.h>
#include <hv/sched.h>
#include <hv/vcpu.h>

int runq_add(struct runq *q, struct vcpu *v)
{
	if (q->n == RUNQ_MAX)
		return HV_ENOMEM;
	q->v[q->n++] = v;
	return 0;
}

void runq_remove(struct runq *q, struct vcpu *v)
{
	for (unsigned i = 0; i < q->n; i++) {
		if (q->v[i] != v)
			continue;
		for (unsigned j = i; j + 1 < q->n; j++)
			q->v[j] = q->v[j + 1];
		q->n--;
		if (q->next > i)
			q->next--;
		if (q->next >= q->n)
			q->next = 0;
		return;
	}
}

struct vcpu *runq_pick(struct runq *q, uint64_t now, uint64_t *wake)
{
	*wake = 0;
	for (unsigned k = 0; k < q->n; k++) {
		unsigned i = (q->next + k) % q->n;
		struct vcpu *v = q->v[i];

		if (v->wait_sipi || v->paused)
			continue;   /* an AP before its start-up IPI, a paused VM's: kicked later */
		if (v->wake_tsc && v->wake_tsc > now) {
			if (!*wake || v->wake_tsc < *wake)
				*wake = v->wake_tsc;
			continue;
		}
		v->wake_tsc = 0;
		q->next = (i + 1) % q->n;
		return v;
	}
	return NULL;
}
