import { CustomMonitoring, GraphWidgetType } from 'cdk-monitoring-constructs';
import { METRICS } from '../../../../definitions/metrics.ts';
import { FIFTEEN_MINUTES, type SectionKit } from '../section-kit.ts';

/** Pinterest's 429s (alarm `rateLimited`) and the account tokens: refreshes, failures by reason, rotations not stored. */
export function pinterestSection(kit: SectionKit): CustomMonitoring {
  const { facade, thresholds: t, alarm, custom, perValue } = kit;
  const q = { period: FIFTEEN_MINUTES };
  return new CustomMonitoring(facade, {
    humanReadableName: 'Pinterest and account tokens',
    alarmFriendlyName: 'pinterest',
    metricGroups: [
      {
        title: 'HTTP 429 from Pinterest (per 15 min)',
        metrics: [
          {
            metric: custom(METRICS.PinterestRateLimited, '429s', q),
            alarmFriendlyName: 'pinterest-429s',
            addAlarm: alarm('rateLimited', t.rateLimitedPer15Minutes),
          },
          custom(METRICS.PinterestRateLimited, 'with Retry-After', { ...q, breakdown: 'present' }),
          custom(METRICS.PinterestRateLimited, 'without Retry-After', { ...q, breakdown: 'absent' }),
        ],
      },
      {
        title: 'Token refreshes (per 15 min)',
        metrics: [
          custom(METRICS.TokenRefreshes, 'refreshed', q),
          {
            metric: custom(METRICS.TokenRefreshFailures, 'failed', q),
            alarmFriendlyName: 'token-refresh-failures',
            addAlarm: alarm('tokenRefreshFailures', t.tokenRefreshFailuresPer15Minutes),
          },
        ],
      },
      {
        title: 'Token refresh failures by reason',
        graphWidgetType: GraphWidgetType.STACKED_AREA,
        metrics: perValue(METRICS.TokenRefreshFailures, q),
      },
      {
        title: 'Rotated tokens not stored',
        metrics: [
          {
            metric: custom(METRICS.TokenRotationNotStored, 'not stored'),
            alarmFriendlyName: 'token-rotation-not-stored',
            addAlarm: alarm('tokenRotationNotStored', 0),
          },
        ],
      },
    ],
  });
}
