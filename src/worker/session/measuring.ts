/**
 * --warmup: a request due before the host's measureFrom (performance clock; -Infinity without a
 * warm-up) is the warm-up's and is counted in the warm-up's recorders instead. One compare per
 * request, nothing more (SessionHost.measureFrom).
 */
import type { MethodRecorder, Recorder } from '../recorder.js';

interface Measuring<M> {
  readonly measureFrom: number;
  readonly methodOf: M;
  readonly warmOf: M;
}

/** The method recorders (by mix entry) that count a request due at `due`. */
export function methodsAt<M extends readonly MethodRecorder[]>(host: Measuring<M>, due: number): M {
  return due < host.measureFrom ? host.warmOf : host.methodOf;
}

/** The recorder that counts a request due at `due` (as methodsAt). */
export function recorderAt(host: { readonly measureFrom: number; readonly recorder: Recorder; readonly warmRecorder: Recorder }, due: number): Recorder {
  return due < host.measureFrom ? host.warmRecorder : host.recorder;
}
