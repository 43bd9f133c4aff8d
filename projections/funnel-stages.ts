/** The funnel's stages, in order: a customer reaches each one after the one before. */
export const FUNNEL_STAGES = ['browsing', 'committed', 'purchased', 'repeat', 'advocate'] as const;
export type FunnelStage = (typeof FUNNEL_STAGES)[number];
