/** geoip-lite ships no types; geoip.ts reads its module shape as unknown and checks it. */
declare module 'geoip-lite' {
  const geoip: unknown;
  export default geoip;
}
