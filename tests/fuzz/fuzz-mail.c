/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * fuzz-mail: the libFuzzer target for one mail's in-memory path (see
 * pipeline.c). Built with clang -fsanitize=fuzzer,address,undefined by
 * "make fuzz"; any sanitizer report, leak, timeout, GLib warning or
 * critical, or broken answer is a finding.
 */
#include "pipeline.h"

#include <stdint.h>
#include <stdlib.h>

#include "message.h"

int LLVMFuzzerInitialize (int *argc, char ***argv);
int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static TgPipeline *pipeline;

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
	const char *templates = g_getenv ("TG_FUZZ_TEMPLATES");
	g_autoptr (GError) error = NULL;

	tg_pipeline_fatal_logs ();
	tg_message_init ();
	pipeline = tg_pipeline_new (
		templates != NULL ? templates : TG_FUZZ_TEMPLATES, &error);
	if (pipeline == NULL)
		g_error ("fuzz-mail: %s", error->message);
	return 0;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
	tg_pipeline_run (pipeline, data, size, NULL);
	return 0;
}
