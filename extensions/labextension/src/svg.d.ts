// SVG files are bundled as raw strings (see the builder's asset rules).
declare module '*.svg' {
  const svgstr: string;
  export default svgstr;
}
