/** GlusterFS from Node: DHT hashing and layouts (exact with libglusterfs), and the gluster CLI. */
export * from './hash';
export * from './layout';
export * from './cli';
export { parseXml } from './xml';
export type { XmlElement } from './xml';
