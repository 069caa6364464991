export * from './errors.js';
export * from './infohash.js';
export * from './redact.js';
export * from './bencode.js';
export * from './bytes.js';
export * from './http.js';
export { continentBit, continentOf, countrySlot, isCountryCode } from './countries.js';
export { seededRandom } from './random.js';
export * from './format.js';
