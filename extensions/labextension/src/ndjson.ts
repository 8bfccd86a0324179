/**
 * Splits a streamed NDJSON body into JSON values, one per complete line.
 *
 * Written by hand because it is a dozen lines: the NDJSON readers on npm
 * (`ndjson`, `can-ndjson-stream`) target Node streams or add a dependency
 * for what `String.split` does here.
 */
export class NdjsonDecoder {
  /**
   * Feed decoded text; returns the values of the lines it completed.
   *
   * @throws {NdjsonLineError} For a line that is not JSON.
   */
  push(chunk: string): unknown[] {
    this._buffer += chunk;
    const lines = this._buffer.split('\n');
    this._buffer = lines.pop() ?? '';
    return lines.filter(line => line.trim().length > 0).map(parseLine);
  }

  /**
   * End of stream: the value of a last line that had no newline, if any.
   */
  end(): unknown[] {
    const rest = this._buffer.trim();
    this._buffer = '';
    return rest ? [parseLine(rest)] : [];
  }

  private _buffer = '';
}

/**
 * A line of the stream that is not JSON (its start is in the message).
 */
export class NdjsonLineError extends Error {
  constructor(line: string) {
    super(`a line that is not JSON: ${line.slice(0, 120)}`);
    this.name = 'NdjsonLineError';
  }
}

function parseLine(line: string): unknown {
  try {
    return JSON.parse(line);
  } catch {
    throw new NdjsonLineError(line);
  }
}
