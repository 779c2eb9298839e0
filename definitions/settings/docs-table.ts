import { SETTING_ENTRIES } from './catalogue.ts';
import type { Setting } from './setting-kinds.ts';

function rangeText(setting: Setting): string {
  switch (setting.kind) {
    case 'integer':
    case 'decimal': {
      const span = `${setting.min}–${setting.max}${setting.kind === 'integer' ? '' : ' (decimals allowed)'}`;
      if (!setting.deploy) return span;
      const min = setting.deploy.min ?? setting.min;
      const max = setting.deploy.max ?? setting.max;
      return `${span}; deployed stages ${min}–${max} (${setting.deploy.why})`;
    }
    case 'origin':
      return `http(s) origin without a path; deployed stages https only (${setting.deploy.why})`;
    case 'choice':
      return setting.values.map((v) => `\`${v}\``).join(', ');
  }
}

function defaultText(setting: Setting): string {
  return `\`${setting.default}\``;
}

/**
 * The settings table of the docs, one row per setting: the stage key (cdk.json), the variable (local mode
 * and the functions), meaning, unit, range, default. Generated so the docs cannot drift from the schema.
 */
export function settingsTable(): string {
  const rows = SETTING_ENTRIES.map(({ path, setting }) => {
    const unit = setting.kind === 'integer' || setting.kind === 'decimal' ? setting.unit : '';
    return `| \`${path.join('.')}\` | \`${setting.env}\` | ${setting.meaning} | ${unit} | ${rangeText(setting)} | ${defaultText(setting)} |`;
  });
  return ['| stage setting (cdk.json) | variable | meaning | unit | range | default |', '|---|---|---|---|---|---|', ...rows].join('\n');
}
