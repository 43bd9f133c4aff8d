import Ajv, { AnySchemaObject, ValidateFunction } from 'ajv';
import type { DataValidationCxt } from 'ajv/dist/types';
import { TransformationType } from 'class-transformer';
import { defaultMetadataStorage } from 'class-transformer/cjs/storage';
import { getMetadataStorage, ValidationTypes } from 'class-validator';
import type { ValidationMetadata } from 'class-validator/types/metadata/ValidationMetadata';
import { IS_OMITTABLE } from './validators';

/**
 * The DTO classes' class-validator rules compiled once into ajv validators: the decorators stay the one
 * source of the rules (they also feed OpenAPI), and this turns each class's metadata into a JSON schema.
 * Rules JSON Schema states exactly are plain keywords; the others (validator.js formats, lengths that count
 * like validator.js, our own decorators, `@ValidateIf`) call the decorator's own function through a keyword,
 * so a verdict never differs from class-validator's. The verdict only: class-validator still explains a
 * rejection (see `validateAs`).
 */

/** A DTO class, as class-validator and class-transformer see it. */
type DtoClass = abstract new (...args: never[]) => object;

/** A JS rule a schema refers to by number: a constraint's check, or a `@ValidateIf` condition. */
type Rule = (value: unknown, object: Record<string, unknown>) => boolean;

const CONSTRAINT_KEYWORD = 'x-class-validator';
const VALIDATE_IF_KEYWORD = 'x-validate-if';

const rules: Rule[] = [];
/**
 * `unicodeRegExp: false`: patterns run as the decorators' own RegExps do; `strictNumbers`: NaN and Infinity
 * are no integers, as for `@IsInt`.
 */
const ajv = new Ajv({ unicodeRegExp: false, strictNumbers: true, strictTypes: false });

ajv.addKeyword({
  keyword: CONSTRAINT_KEYWORD,
  schemaType: 'object',
  errors: false,
  validate: (
    schema: { rule: number },
    value: unknown,
    _parent?: AnySchemaObject,
    context?: DataValidationCxt,
  ) => rules[schema.rule]!(value, context?.parentData as Record<string, unknown>),
});

ajv.addKeyword({
  keyword: VALIDATE_IF_KEYWORD,
  type: 'object',
  schemaType: 'array',
  errors: false,
  compile: (conditionals: { property: string; rule: number; schema: AnySchemaObject }[]) => {
    const checks = conditionals.map(({ property, rule, schema }) => ({
      property,
      applies: rules[rule]!,
      validate: ajv.compile(schema),
    }));
    return (object: Record<string, unknown>) =>
      checks.every(
        ({ property, applies, validate }) =>
          !applies(object[property], object) ||
          validate(object[property], {
            instancePath: '',
            parentData: object,
            parentDataProperty: property,
            rootData: object,
            dynamicAnchors: {},
          }),
      );
  },
});

/** JSON Schema keywords that say exactly what these class-validator constraints check. */
const EXACT_KEYWORDS: Record<string, (constraints: unknown[]) => AnySchemaObject | undefined> = {
  isString: () => ({ type: 'string' }),
  isBoolean: () => ({ type: 'boolean' }),
  isInt: () => ({ type: 'integer' }),
  isObject: () => ({ type: 'object' }),
  isIn: ([values]) =>
    Array.isArray(values) && values.every((value) => typeof value === 'string')
      ? { enum: values }
      : undefined,
  arrayMinSize: ([min]) => ({ type: 'array', minItems: min }),
  arrayMaxSize: ([max]) => ({ type: 'array', maxItems: max }),
  matches: ([pattern, modifiers]) =>
    pattern instanceof RegExp && pattern.flags === '' && modifiers === undefined
      ? { type: 'string', pattern: pattern.source }
      : undefined,
};

const compiled = new Map<DtoClass, ValidateFunction | undefined>();

/**
 * The compiled validator of a DTO class, compiled on first use, or undefined for a class this does not
 * compile (see isCompilable).
 */
export function compiledValidatorOf(type: DtoClass): ValidateFunction | undefined {
  if (!compiled.has(type)) {
    compiled.set(type, isCompilable(type) ? ajv.compile({ $ref: schemaIdOf(type) }) : undefined);
  }
  return compiled.get(type);
}

/** Classes whose schema ajv holds, by id (the class name, unique among DTOs). */
const registered = new Map<string, DtoClass>();

/**
 * Registers the schema of `type` (and of its nested classes) with ajv once, with its `@ValidateNested` form
 * under `<id>-nested`; returns its id.
 */
function schemaIdOf(type: DtoClass): string {
  const id = type.name;
  const holder = registered.get(id);
  if (holder && holder !== type) throw new Error(`two DTO classes are named ${id}`);
  if (!holder) {
    registered.set(id, type);
    ajv.addSchema(schemaOf(type), id);
    // As class-validator runs it: an array has each element checked the same way, an object against the class.
    ajv.addSchema(
      { if: { type: 'array' }, then: { items: { $ref: `${id}-nested` } }, else: { $ref: id } },
      `${id}-nested`,
    );
  }
  return id;
}

const COMPILED_TYPES: string[] = [
  ValidationTypes.CUSTOM_VALIDATION,
  ValidationTypes.NESTED_VALIDATION,
  ValidationTypes.CONDITIONAL_VALIDATION,
];

/**
 * Whether the rules of `type` can be checked on the plain value: kinds of rule this compiles, no
 * class-transformer conversion (query strings into numbers, say), nested values only of such classes.
 * Any other class stays with class-validator alone.
 */
function isCompilable(type: DtoClass): boolean {
  return Object.entries(metadataByProperty(type)).every(([property, metadatas]) => {
    const compiledKinds = metadatas.every(
      (metadata) =>
        COMPILED_TYPES.includes(metadata.type) &&
        (metadata as { validateIf?: unknown }).validateIf === undefined,
    );
    const converts =
      defaultMetadataStorage.findTransformMetadatas(type, property, TransformationType.PLAIN_TO_CLASS)
        .length > 0;
    const nestedType = defaultMetadataStorage.findTypeMetadata(type, property)?.typeFunction();
    const nestsDto = metadatas.some((metadata) => metadata.type === ValidationTypes.NESTED_VALIDATION);
    return (
      compiledKinds &&
      !converts &&
      (nestsDto ? nestedType !== undefined && isCompilable(nestedType as DtoClass) : nestedType === undefined)
    );
  });
}

function metadataByProperty(type: DtoClass): Record<string, ValidationMetadata[]> {
  const storage = getMetadataStorage();
  return storage.groupByPropertyName(storage.getTargetValidationMetadatas(type, '', false, false));
}

function schemaOf(type: DtoClass): AnySchemaObject {
  const properties: Record<string, AnySchemaObject> = {};
  const required: string[] = [];
  const conditionals: { property: string; rule: number; schema: AnySchemaObject }[] = [];
  for (const [property, metadatas] of Object.entries(metadataByProperty(type))) {
    const checks = metadatas.filter((metadata) => metadata.type === ValidationTypes.CUSTOM_VALIDATION);
    const schema: AnySchemaObject = {
      allOf: [
        ...checks.flatMap((metadata) => constraintSchemas(type, metadata)),
        ...metadatas
          .filter((metadata) => metadata.type === ValidationTypes.NESTED_VALIDATION)
          .map(() => nestedSchema(type, property)),
      ],
    };
    const conditions = metadatas.filter(
      (metadata) => metadata.type === ValidationTypes.CONDITIONAL_VALIDATION,
    );
    if (conditions.length === 0) {
      properties[property] = schema;
      // class-validator runs the checks on a missing value too; the checks these DTOs use refuse it.
      if (checks.length > 0) required.push(property);
    } else if (conditions.every((condition) => condition.name === 'isOptional')) {
      properties[property] = { anyOf: [{ type: 'null' }, schema] };
    } else if (conditions.every((condition) => condition.name === IS_OMITTABLE)) {
      // Left out, or checked: null is a value like any other.
      properties[property] = schema;
    } else {
      properties[property] = {};
      const condition = (value: unknown, object: Record<string, unknown>) =>
        conditions.every((metadata) =>
          (metadata.constraints[0] as (object: object, value: unknown) => boolean)(object, value),
        );
      conditionals.push({ property, rule: rules.push(condition) - 1, schema });
    }
  }
  return {
    type: 'object',
    properties,
    additionalProperties: false,
    ...(required.length > 0 && { required }),
    ...(conditionals.length > 0 && { [VALIDATE_IF_KEYWORD]: conditionals }),
  };
}

/** One schema per constraint of a decorator; `each: true` checks every element of an array instead. */
function constraintSchemas(type: DtoClass, metadata: ValidationMetadata): AnySchemaObject[] {
  return getMetadataStorage()
    .getTargetValidatorConstraints(metadata.constraintCls)
    .map((constraint) => {
      const exact = EXACT_KEYWORDS[constraint.name ?? '']?.(metadata.constraints ?? []);
      if (exact)
        return metadata.each ? { if: { type: 'array' }, then: { items: exact }, else: exact } : exact;
      const check: Rule = (value, object) =>
        Boolean(
          constraint.instance.validate(value, {
            targetName: type.name,
            property: metadata.propertyName,
            object,
            value,
            constraints: metadata.constraints,
          }),
        );
      const rule: Rule =
        metadata.each === true
          ? (value, object) =>
              Array.isArray(value) ? value.every((element) => check(element, object)) : check(value, object)
          : check;
      return { [CONSTRAINT_KEYWORD]: { name: constraint.name, rule: rules.push(rule) - 1 } };
    });
}

/** `@ValidateNested` of a property: its `@Type` class's nested form; a missing value is not checked. */
function nestedSchema(type: DtoClass, property: string): AnySchemaObject {
  const nestedType = defaultMetadataStorage.findTypeMetadata(type, property).typeFunction() as DtoClass;
  return { $ref: `${schemaIdOf(nestedType)}-nested` };
}
