/*
 * page.h - the phone page served at GET / (Italian, with an English note).
 */
#ifndef BANDITORE_SIM_PAGE_H
#define BANDITORE_SIM_PAGE_H

#include <stddef.h>

/* The page's HTML (static storage, UTF-8) and its length in bytes. */
const char *sim_page_html(void);
size_t sim_page_len(void);

#endif
