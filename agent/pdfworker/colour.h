/* colour — the reader manages no colour it does not need.
 *
 * poppler converts colours with Little CMS. A PDF/A document names an output profile
 * (its OutputIntents), and poppler then builds four transforms from XYZ to that profile
 * for every page it looks at, text extraction included: each reverses the profile's tone
 * curves. For the 4-page invoice of the Ministry of Finance's generator in the samples
 * that was two thirds of the reader's CPU (bench/RESULTS.md). The reader needs none of
 * them: text has no colour, and the QR scan looks at a page in shades of grey.
 * colour_skip_display_transforms() makes Little CMS refuse exactly those transforms
 * (poppler then converts such colours with its own formulas, as it does without a
 * profile); every other transform is built as before.
 *
 * Ownership: nothing to free; call once, before the readers are forked (they inherit it).
 * Errors: none reported — if Little CMS refuses the plug-in, colours are managed as before.
 */
#ifndef GONIEC_PDFWORKER_COLOUR_H
#define GONIEC_PDFWORKER_COLOUR_H

void colour_skip_display_transforms(void);

#endif
