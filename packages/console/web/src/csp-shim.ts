/**
 * Makes the terminal renderer work under the console's strict CSP (docs/console.md), and
 * must run before it loads. xterm.js builds `<style>` elements at run time and colours
 * true-colour cells with `setAttribute('style', …)`; neither accepts a nonce option.
 * - `<style>` elements this page creates get the page's nonce (read from the
 *   `csp-nonce` meta tag, whose `nonce` the browser hides from the DOM's attributes);
 * - a script-set `style` attribute goes through the CSSOM (`style.cssText`), which CSP
 *   does not govern. Markup-injected styles and scripts stay blocked: only code the page
 *   already runs can reach either path.
 */
const nonce = document.querySelector<HTMLMetaElement>('meta[name="csp-nonce"]')?.nonce ?? '';

const createElement = Document.prototype.createElement;
Document.prototype.createElement = function (this: Document, tag: string, options?: ElementCreationOptions): HTMLElement {
  const el = createElement.call(this, tag, options);
  if (nonce && tag.toLowerCase() === 'style') el.setAttribute('nonce', nonce);
  return el;
} as typeof Document.prototype.createElement;

const setAttribute = Element.prototype.setAttribute;
Element.prototype.setAttribute = function (this: Element, name: string, value: string): void {
  if (name.toLowerCase() === 'style' && (this instanceof HTMLElement || this instanceof SVGElement)) {
    this.style.cssText = value;
    return;
  }
  setAttribute.call(this, name, value);
};

export {};
