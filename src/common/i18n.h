/*
 * i18n.h - Italian first, English available.
 *
 * Everything an employee of the comune or a citizen reads is written in Italian and in
 * English side by side at the call site; T("...", "...") picks one. The language is
 * Italian unless BANDITORE_LANG, LC_ALL, LC_MESSAGES or LANG (first one set) starts
 * with "en".
 */
#ifndef BANDITORE_I18N_H
#define BANDITORE_I18N_H

/* 1 when English was asked for, else 0 (Italian). */
int i18n_english(void);

#define T(it, en) (i18n_english() ? (en) : (it))

#endif
