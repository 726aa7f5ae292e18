/* colour — see colour.h. */
#include "pdfworker/colour.h"

#include <lcms2.h>
#include <lcms2_plugin.h>

/* The link of a transform: refused when it starts from XYZ (poppler's transforms to the
 * document's output profile), built the standard way otherwise. */
static cmsPipeline *link_unless_from_xyz(cmsContext id, cmsUInt32Number n, cmsUInt32Number intents[],
					 cmsHPROFILE profiles[], cmsBool bpc[],
					 cmsFloat64Number adaptation[], cmsUInt32Number flags)
{
	if (n >= 1 && cmsGetColorSpace(profiles[0]) == cmsSigXYZData)
		return NULL;
	return _cmsDefaultICCintents(id, n, intents, profiles, bpc, adaptation, flags);
}

#define INTENT_PLUGIN(intent, next)                                                        \
	{                                                                                  \
		.base = {cmsPluginMagicNumber, LCMS_VERSION, cmsPluginRenderingIntentSig, next}, \
		.Intent = intent, .Link = link_unless_from_xyz,                            \
		.Description = "goniec: no transforms from XYZ"                            \
	}

void colour_skip_display_transforms(void)
{
	/* the four ICC intents poppler asks for; Little CMS looks at plug-ins first */
	static cmsPluginRenderingIntent intents[4] = {
		INTENT_PLUGIN(INTENT_PERCEPTUAL, &intents[1].base),
		INTENT_PLUGIN(INTENT_RELATIVE_COLORIMETRIC, &intents[2].base),
		INTENT_PLUGIN(INTENT_SATURATION, &intents[3].base),
		INTENT_PLUGIN(INTENT_ABSOLUTE_COLORIMETRIC, NULL),
	};
	cmsPlugin(&intents[0]);
}
