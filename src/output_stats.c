// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * `cowtrace stats`: the table of statistics itself (stats.c), for people and
 * for the tests, which read their lists of statistics from it instead of
 * keeping copies.
 */
#include <stdio.h>
#include "output.h"

static const char *type_name(enum ct_stat_type t)
{
	switch (t) {
	case STAT_COUNTER: return "counter";
	case STAT_COPIES: return "copies";
	case STAT_BYTES: return "bytes";
	default: return "histogram";
	}
}

static const char *table_name(enum ct_text_table t)
{
	switch (t) {
	case TT_FAULTS: return "processes";
	case TT_OTHER: return "other";
	case TT_MAPS: return "mapping";
	default: return NULL;
	}
}

static void jstr_or_null(FILE *f, const char *key, const char *v)
{
	if (v)
		fprintf(f, ",\"%s\":\"%s\"", key, v);
	else
		fprintf(f, ",\"%s\":null", key);
}

void output_stats_json(FILE *f)
{
	fputs("{\"statistics\":[", f);
	for (int s = 0; s < ST_MAX; s++) {
		const struct ct_stat_desc *d = &ct_stats[s];
		unsigned ev, kind;

		fprintf(f, "%s{\"name\":\"%s\",\"type\":\"%s\"", s ? "," : "", d->name, type_name(d->type));
		jstr_or_null(f, "column", d->column);
		jstr_or_null(f, "table", table_name(d->table));
		fprintf(f, ",\"always_shown\":%s", d->always ? "true" : "false");
		if (d->family) {
			const struct ct_prom_family_desc *pf = &ct_prom_families[d->family];

			fprintf(f, ",\"prometheus\":{\"family\":\"%s\"", pf->name);
			jstr_or_null(f, "label", pf->label);
			jstr_or_null(f, "value", pf->label ? d->family_value : NULL);
			fputc('}', f);
		} else {
			fputs(",\"prometheus\":null", f);
		}
		jstr_or_null(f, "event_kind", d->event_kind);
		ev = ct_stat_event(s, &kind);
		jstr_or_null(f, "event", ev ? ct_event_name(ev) : NULL);
		if (ev)
			fprintf(f, ",\"raw_event\":{\"type\":%u,\"kind\":%u}", ev, kind);
		else
			fputs(",\"raw_event\":null", f);
		fprintf(f, ",\"copy_kind\":%s", ct_stat_is_copy_kind(s) ? "true" : "false");
		jstr_or_null(f, "mapping", ct_stat_map(s) >= 0 ? ct_map_name(ct_stat_map(s)) : NULL);
		fprintf(f, ",\"tracepoint\":\"%s\"}", ct_quality_name(d->tp_quality));
	}
	fputs("],\"histograms\":[", f);
	for (int i = 0; i < CT_H_MAX; i++) {
		const struct ct_hist_desc *h = &ct_hists[i];

		fprintf(f, "%s{\"name\":\"%s%s%s\",\"statistic\":\"%s\",\"text\":\"%s\"", i ? "," : "",
			ct_stat_name(h->stat), h->family_value ? "." : "", h->family_value ? h->family_value : "",
			ct_stat_name(h->stat), h->text);
		fprintf(f, ",\"unit\":\"%s\",\"divisor\":%u", h->unit, h->divisor);
		if (h->family) {
			const char *label = ct_hist_families[h->family].label;

			fprintf(f, ",\"prometheus\":{\"family\":\"%s\"", ct_hist_families[h->family].name);
			jstr_or_null(f, "label", label);
			jstr_or_null(f, "value", label ? h->family_value : NULL);
			fputs("}}", f);
		} else {
			fputs(",\"prometheus\":null}", f);
		}
	}
	fputs("]}\n", f);
}

void output_stats_text(FILE *f)
{
	fprintf(f, "%-16s %-9s %-8s %-10s %-7s %-16s %-11s %s\n", "STATISTIC", "TYPE", "COLUMN", "TABLE", "COPY",
		"EVENT", "TRACEPOINT", "PROMETHEUS");
	for (int s = 0; s < ST_MAX; s++) {
		const struct ct_stat_desc *d = &ct_stats[s];
		const char *tn = table_name(d->table);
		unsigned kind, ev = ct_stat_event(s, &kind);
		char event[64] = "-";

		if (ev)
			snprintf(event, sizeof(event), "%s/%s", ct_event_name(ev), d->event_kind ? d->event_kind : "?");
		fprintf(f, "%-16s %-9s %-8s %-10s %-7s %-16s %-11s ", d->name, type_name(d->type),
			d->column ? d->column : "-", tn ? tn : "-",
			ct_stat_is_copy_kind(s) ? "kind" : ct_stat_map(s) >= 0 ? "mapping" : "-", event,
			ct_quality_name(d->tp_quality));
		if (d->family && ct_prom_families[d->family].label)
			fprintf(f, "%s{%s=\"%s\"}\n", ct_prom_families[d->family].name,
				ct_prom_families[d->family].label, d->family_value);
		else if (d->family)
			fprintf(f, "%s\n", ct_prom_families[d->family].name);
		else
			fprintf(f, "%s\n", d->type == STAT_HIST ? "(histograms below)" : "-");
	}
	fprintf(f, "\n%-30s %-16s %-6s %s\n", "HISTOGRAM", "STATISTIC", "UNIT", "PROMETHEUS");
	for (int i = 0; i < CT_H_MAX; i++) {
		const struct ct_hist_desc *h = &ct_hists[i];
		char name[64];

		ct_hist_name(i, name, sizeof(name));
		fprintf(f, "%-30s %-16s %-6s ", name, ct_stat_name(h->stat), h->unit);
		if (h->family && ct_hist_families[h->family].label)
			fprintf(f, "%s{%s=\"%s\"}\n", ct_hist_families[h->family].name, ct_hist_families[h->family].label,
				h->family_value);
		else if (h->family)
			fprintf(f, "%s\n", ct_hist_families[h->family].name);
		else
			fprintf(f, "-\n");
	}
}
