/**
 * The part of Aladin Lite v3's API (npm `aladin-lite`, plain JavaScript with
 * no type declarations) that the sky view uses.
 */
declare module 'aladin-lite' {
  export interface IAladinSource {
    ra: number;
    dec: number;
    data: Record<string, unknown>;
    isSelected?: boolean;
    select(): void;
    deselect(): void;
  }
  export interface IAladinCatalog {
    addSources(sources: IAladinSource[]): void;
    getSources(): IAladinSource[];
    clear(): void;
  }
  export interface IAladinShape {
    isShowing?: boolean;
  }
  export interface IAladinOverlay {
    add(shape: IAladinShape): void;
    removeAll(): void;
    overlayItems: IAladinShape[];
  }
  export interface IAladin {
    addCatalog(catalog: IAladinCatalog): void;
    addOverlay(overlay: IAladinOverlay): void;
    on(event: string, callback: (object: unknown, xy?: unknown) => void): void;
    gotoRaDec(ra: number, dec: number): void;
    setFoV(fov: number): void;
    view: {
      selectObjects(objects: IAladinSource[][]): void;
      unselectObjects(): void;
      requestRedraw(): void;
    };
  }
  interface IAladinStatic {
    init: Promise<void>;
    aladin(element: HTMLElement, options: Record<string, unknown>): IAladin;
    catalog(options: Record<string, unknown>): IAladinCatalog;
    source(
      ra: number,
      dec: number,
      data: Record<string, unknown>
    ): IAladinSource;
    graphicOverlay(options: Record<string, unknown>): IAladinOverlay;
    polygon(
      vertices: [number, number][],
      options?: Record<string, unknown>
    ): IAladinShape;
    circle(
      ra: number,
      dec: number,
      radius: number,
      options?: Record<string, unknown>
    ): IAladinShape;
  }
  const A: IAladinStatic;
  export default A;
}
