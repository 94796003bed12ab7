/**
 * A check of the MPDs the tests produce: well-formed XML (every tag closed in order, attributes
 * quoted and unique, only the entities XML defines) and, for every element tidecast writes, its
 * children in the order of the sequences of ISO/IEC 23009-1's schema (DASH-MPD.xsd: MPDtype,
 * PeriodType, AdaptationSetType and RepresentationType over RepresentationBaseType,
 * SegmentTemplateType over MultipleSegmentBaseType and SegmentBaseType, ServiceDescriptionType,
 * ProducerReferenceTimeType), and the attributes the schema requires. An element not in the table
 * is reported: a new one must be added here with its place in the schema.
 */

export interface XmlElement {
  readonly name: string;
  readonly attributes: Readonly<Record<string, string>>;
  readonly children: XmlElement[];
}

const REPRESENTATION_BASE = ['FramePacking', 'AudioChannelConfiguration', 'ContentProtection', 'OutputProtection', 'EssentialProperty', 'SupplementalProperty', 'InbandEventStream', 'Switching', 'RandomAccess', 'GroupLabel', 'Label', 'ProducerReferenceTime', 'ContentPopularityRate', 'Resync'];

/** Child order per element (the schema's sequences, flattened over the type's bases). */
export const MPD_CHILD_ORDER: Readonly<Record<string, readonly string[]>> = {
  MPD: ['ProgramInformation', 'BaseURL', 'Location', 'PatchLocation', 'ServiceDescription', 'InitializationSet', 'InitializationGroup', 'InitializationPresentation', 'ContentProtection', 'Period', 'Metrics', 'EssentialProperty', 'SupplementalProperty', 'UTCTiming', 'LeapSecondInformation'],
  Period: ['BaseURL', 'SegmentBase', 'SegmentList', 'SegmentTemplate', 'AssetIdentifier', 'EventStream', 'ServiceDescription', 'ContentProtection', 'AdaptationSet', 'Subset', 'SupplementalProperty', 'EmptyAdaptationSet', 'GroupLabel', 'Preselection'],
  AdaptationSet: [...REPRESENTATION_BASE, 'Accessibility', 'Role', 'Rating', 'Viewpoint', 'ContentComponent', 'BaseURL', 'SegmentBase', 'SegmentList', 'SegmentTemplate', 'Representation'],
  Representation: [...REPRESENTATION_BASE, 'BaseURL', 'ExtendedBandwidth', 'SubRepresentation', 'SegmentBase', 'SegmentList', 'SegmentTemplate'],
  SegmentTemplate: ['Initialization', 'RepresentationIndex', 'FailoverContent', 'SegmentTimeline', 'BitstreamSwitching'],
  SegmentTimeline: ['S'],
  ServiceDescription: ['Scope', 'Latency', 'PlaybackRate', 'OperatingQuality', 'OperatingBandwidth'],
  ProducerReferenceTime: ['UTCTiming'],
  UTCTiming: [],
  SupplementalProperty: [],
  AudioChannelConfiguration: [],
  Latency: [],
  PlaybackRate: [],
  S: [],
};

const REQUIRED: Readonly<Record<string, readonly string[]>> = {
  MPD: ['profiles', 'minBufferTime'],
  Representation: ['id', 'bandwidth'],
  ProducerReferenceTime: ['id', 'wallClockTime', 'presentationTime'],
  S: ['d'],
  UTCTiming: ['schemeIdUri'],
  SupplementalProperty: ['schemeIdUri'],
  AudioChannelConfiguration: ['schemeIdUri'],
};

/** Parses an MPD as XML (no text content, no comments: what renderMpd writes); throws on anything not well-formed. */
export function parseXml(text: string): XmlElement {
  let i = 0;
  const skipSpace = (): void => {
    while (i < text.length && /\s/.test(text[i]!)) i += 1;
  };
  if (text.startsWith('<?xml')) {
    const end = text.indexOf('?>');
    if (end < 0) throw new Error('unterminated XML declaration');
    i = end + 2;
  }
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  for (;;) {
    skipSpace();
    if (i >= text.length) break;
    if (text[i] !== '<') throw new Error(`text outside a tag at ${i}: ${JSON.stringify(text.slice(i, i + 20))}`);
    if (text[i + 1] === '/') {
      const end = text.indexOf('>', i);
      const name = text.slice(i + 2, end).trim();
      const open = stack.pop();
      if (open?.name !== name) throw new Error(`</${name}> closes <${open?.name ?? 'nothing'}> at ${i}`);
      i = end + 1;
      continue;
    }
    const nameMatch = /^<([A-Za-z_][\w.-]*)/.exec(text.slice(i));
    if (nameMatch === null) throw new Error(`bad tag at ${i}`);
    const name = nameMatch[1]!;
    i += nameMatch[0].length;
    const attributes: Record<string, string> = {};
    for (;;) {
      skipSpace();
      if (text.startsWith('/>', i) || text[i] === '>') break;
      const attr = /^([A-Za-z_:][\w.:-]*)="([^"<]*)"/.exec(text.slice(i));
      if (attr === null) throw new Error(`bad attribute in <${name}> at ${i}: ${JSON.stringify(text.slice(i, i + 30))}`);
      if (Object.hasOwn(attributes, attr[1]!)) throw new Error(`<${name}> repeats ${attr[1]}`);
      const value = attr[2]!;
      for (const entity of value.match(/&[^;]*;?/g) ?? []) if (!['&amp;', '&lt;', '&gt;', '&quot;', '&apos;'].includes(entity)) throw new Error(`<${name} ${attr[1]}> has an undefined entity ${entity}`);
      attributes[attr[1]!] = value.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&amp;/g, '&');
      i += attr[0].length;
    }
    const element: XmlElement = { name, attributes, children: [] };
    if (stack.length > 0) stack.at(-1)!.children.push(element);
    else if (root === undefined) root = element;
    else throw new Error('a second root element');
    if (text.startsWith('/>', i)) i += 2;
    else {
      i += 1;
      stack.push(element);
    }
  }
  if (stack.length > 0) throw new Error(`<${stack.at(-1)!.name}> is never closed`);
  if (root === undefined) throw new Error('no root element');
  return root;
}

/** Every problem of the MPD's structure (empty: none). */
export function mpdProblems(text: string): string[] {
  let root: XmlElement;
  try {
    root = parseXml(text);
  } catch (error) {
    return [`not well-formed: ${(error as Error).message}`];
  }
  const problems: string[] = [];
  if (root.name !== 'MPD') problems.push(`root is <${root.name}>`);
  if (root.attributes['xmlns'] !== 'urn:mpeg:dash:schema:mpd:2011') problems.push('MPD@xmlns is not urn:mpeg:dash:schema:mpd:2011');
  if (root.attributes['type'] === 'dynamic' && root.attributes['availabilityStartTime'] === undefined) problems.push('a dynamic MPD without availabilityStartTime');
  const walk = (element: XmlElement, path: string): void => {
    const order = MPD_CHILD_ORDER[element.name];
    if (order === undefined) {
      problems.push(`${path}: <${element.name}> is not in the order table`);
      return;
    }
    for (const required of REQUIRED[element.name] ?? []) if (element.attributes[required] === undefined) problems.push(`${path}: missing @${required}`);
    let last = -1;
    element.children.forEach((child, index) => {
      const at = order.indexOf(child.name);
      const where = `${path}/${child.name}[${index}]`;
      if (at < 0) problems.push(`${where}: not a child of <${element.name}>`);
      else if (at < last) problems.push(`${where}: <${child.name}> after <${order[last]}> breaks <${element.name}>'s sequence`);
      else last = at;
      walk(child, where);
    });
  };
  walk(root, 'MPD');
  if (root.children.filter((c) => c.name === 'Period').length === 0) problems.push('no Period');
  return problems;
}
