/*
 * Rendering a parsed SIP message for people (text) and machines (JSON), shared by inspect and,
 * later, the shield's matched-message log. The JSON field names are documented in the README
 * ("inspect --json") and are a stable interface.
 */
#ifndef SW_OUT_SIP_PRINT_H
#define SW_OUT_SIP_PRINT_H

#include <stdio.h>

#include "out/json.h"
#include "sip/sip.h"

/*
 * Write the message's members into the currently open JSON object: type, start line parts,
 * headers, fields, body_len, flags, defects. When rc is a parse error, only "error" (code,
 * message, offset) and what is known are written.
 */
void sw_sip_json(struct sw_json *j, const struct sip_msg *m, int rc);

/* Multi-line text rendering, each line indented by indent spaces. */
void sw_sip_text(FILE *f, const struct sip_msg *m, int rc, int indent);

/* Names of the set SIP_F_* flags, for both renderings. */
const char *sw_sip_flag_name(unsigned bit);

#endif
