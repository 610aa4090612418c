// Prettier formats the code (TypeScript and JavaScript); `npm run format:check` is part of `npm test`.
// The options follow the style the code was written in, so the first run changes layout, not tokens.
// eslint-config-prettier (last in eslint.config.js) turns off the lint rules that would disagree.
export default {
  printWidth: 140,
  semi: false,
  singleQuote: true,
  trailingComma: 'all',
  arrowParens: 'always',
}
